/**
 * Load forecasts on synthetic series with known answers: the periods that
 * generated them, forecasts against the noise-free signal, and interval
 * coverage against the nominal level.
 */
import { describe, expect, it } from 'vitest';
import { createRng } from '../stats/index.ts';
import {
  autocorrelation,
  coverage,
  detectPeriods,
  fitForecaster,
  forecasterConfig,
  mase,
  meanAbsoluteError,
  SeasonalForecaster,
  seasonalNaive,
} from './index.ts';

/** A seeded standard normal sampler (Box-Muller). */
function normals(seed: number): () => number {
  const rng = createRng(seed);
  return () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

/** n points of `signal(t)` plus normal noise of `sigma`. */
function noisy(signal: (t: number) => number, n: number, sigma: number, seed = 1): number[] {
  const z = normals(seed);
  return Array.from({ length: n }, (_, t) => signal(t) + sigma * z());
}

const daily = (p: number) => (t: number) => 100 + 40 * Math.sin((2 * Math.PI * t) / p) + 15 * Math.cos((4 * Math.PI * t) / p);

describe('autocorrelation', () => {
  it('is 1 at lag 0, near 1 at the period of a sine and near -1 at half of it', () => {
    const acf = autocorrelation(
      Array.from({ length: 400 }, (_, t) => Math.sin((2 * Math.PI * t) / 40)),
      100,
    );
    expect(acf[0]).toBeCloseTo(1, 10);
    expect(acf[40]).toBeGreaterThan(0.95);
    expect(acf[20]).toBeLessThan(-0.95);
  });
});

describe('detectPeriods', () => {
  it('finds the period of a noisy daily rhythm after two cycles and more', () => {
    for (const cycles of [3, 6]) {
      const found = detectPeriods(noisy(daily(48), 48 * cycles, 10));
      // Within 1 %: over a few noisy cycles the data pins the period down no closer.
      expect(Math.abs((found[0]?.steps ?? 0) - 48)).toBeLessThanOrEqual(1);
    }
  });

  it('finds the 360-window cycle of the demo day (10 s windows, 60 min day)', () => {
    expect(Math.abs((detectPeriods(noisy(daily(360), 360 * 3, 15, 3))[0]?.steps ?? 0) - 360)).toBeLessThanOrEqual(3.6);
  });

  it('finds a 4-hour batch cycle (10-minute steps) that is no sine', () => {
    const batch = (t: number) => (t % 24 < 3 ? 500 : 50);
    expect(detectPeriods(noisy(batch, 24 * 8, 20, 4)).map((p) => p.steps)).toEqual([24]);
  });

  it('finds daily and weekly periods when weekends differ', () => {
    const weekly = (t: number) => daily(24)(t) * (Math.floor(t / 24) % 7 >= 5 ? 0.5 : 1);
    const found = detectPeriods(noisy(weekly, 24 * 7 * 5, 5, 5));
    expect(found.map((p) => p.steps)).toEqual([24, 168]);
  });

  it('finds a mild weekly cycle under a strong daily one in two weeks of noisy steps, and none where the days are alike', () => {
    // A daily swing of +-60 %, weekends 30 % lower, and per-step noise of 15 %: every daily lag correlates near 0.9,
    // so last week beats yesterday by only a few hundredths of autocorrelation, yet removes a third of its squared error.
    const p = 96;
    const level = [1.1, 1.1, 1.1, 1.1, 1.05, 0.75, 0.8];
    const weekly = (t: number) => 100 * (1 - 0.6 * Math.cos((2 * Math.PI * t) / p)) * (level[Math.floor(t / p) % 7] as number);
    const z = normals(21);
    const xs = Array.from({ length: p * 14 }, (_, t) => weekly(t) * (1 + 0.15 * z()));
    expect(detectPeriods(xs).map((d) => d.steps)).toEqual([p, 7 * p]);
    // Without the weekly levels, the same noise: the daily period alone.
    const flat = Array.from({ length: p * 14 }, (_, t) => (weekly(t) / (level[Math.floor(t / p) % 7] as number)) * (1 + 0.15 * z()));
    expect(detectPeriods(flat).map((d) => d.steps)).toEqual([p]);
  });

  it('finds no period in white noise or a straight line, or in a series too short', () => {
    expect(detectPeriods(noisy(() => 10, 500, 1, 6))).toEqual([]);
    expect(detectPeriods(Array.from({ length: 300 }, (_, t) => 2 * t))).toEqual([]);
    expect(detectPeriods([1, 2, 3])).toEqual([]);
  });
});

describe('SeasonalForecaster', () => {
  it('after three cycles, forecasts the next cycle far closer to the signal than seasonal-naive does', () => {
    const p = 96;
    const xs = noisy(daily(p), p * 3, 10, 7);
    const f = fitForecaster(xs, { periods: [p] });
    const truth = Array.from({ length: p }, (_, k) => daily(p)(3 * p + k));
    const ours = meanAbsoluteError(
      truth,
      f.forecast(p).map((x) => x.mean),
    );
    const naive = meanAbsoluteError(truth, seasonalNaive(xs, p, p));
    // Seasonal-naive repeats one noisy cycle (error about 0.8 sigma = 8); three averaged cycles, smoothed, do much better.
    expect(naive).toBeGreaterThan(6);
    expect(ours).toBeLessThan(0.6 * naive);
  });

  it('forecasts two seasons (daily and weekly) better than the daily season alone', () => {
    const weekly = (t: number) => daily(24)(t) * (Math.floor(t / 24) % 7 >= 5 ? 0.5 : 1);
    const xs = noisy(weekly, 24 * 7 * 6, 3, 8);
    const truth = Array.from({ length: 168 }, (_, k) => weekly(xs.length + k));
    const both = fitForecaster(xs, { periods: [24, 168] }).forecast(168);
    const one = fitForecaster(xs, { periods: [24] }).forecast(168);
    const errBoth = meanAbsoluteError(
      truth,
      both.map((x) => x.mean),
    );
    expect(errBoth).toBeLessThan(
      0.5 *
        meanAbsoluteError(
          truth,
          one.map((x) => x.mean),
        ),
    );
    expect(errBoth).toBeLessThan(5);
  });

  it('smooths a weekly season over its own width: less noise from slots that learn once a week', () => {
    // Weekday levels on a daily swing, 15 % noise per step, three weeks: each weekly slot has seen three points.
    const p = 96;
    const level = [1.1, 1.1, 1.1, 1.1, 1.05, 0.75, 0.8];
    const signal = (t: number) => 100 * (1 - 0.6 * Math.cos((2 * Math.PI * t) / p)) * (level[Math.floor(t / p) % 7] as number);
    const z = normals(31);
    const xs = Array.from({ length: 21 * p }, (_, t) => signal(t) * (1 + 0.15 * z()));
    const truth = Array.from({ length: 7 * p }, (_, k) => signal(xs.length + k));
    const err = (seasonWidth: 'own' | 'shortest') =>
      meanAbsoluteError(
        truth,
        fitForecaster(xs, { periods: [p, 7 * p], seasonWidth })
          .forecast(7 * p)
          .map((x) => x.mean),
      );
    expect(err('own')).toBeLessThan(0.85 * err('shortest'));
  });

  it('gives prediction intervals whose coverage is near nominal at short and long horizons', () => {
    const p = 24;
    const xs = noisy(daily(p), p * 60, 5, 9);
    const f = new SeasonalForecaster({ periods: [p], coverage: 0.9 });
    const hits: Record<number, number[]> = { 1: [], 12: [], 24: [] };
    for (let t = 0; t < xs.length; t++) {
      if (t >= p * 20 && t % 7 === 0) {
        const fc = f.forecast(24);
        for (const h of [1, 12, 24]) {
          const x = xs[t + h - 1];
          const pt = fc[h - 1];
          if (x === undefined || !pt) continue;
          (hits[h] as number[]).push(x >= pt.lower && x <= pt.upper ? 1 : 0);
        }
      }
      f.update(xs[t] as number);
    }
    for (const h of [1, 12, 24]) {
      const rate = (hits[h] as number[]).reduce((a, b) => a + b, 0) / (hits[h] as number[]).length;
      expect(rate, `coverage at horizon ${h}`).toBeGreaterThan(0.82);
      expect(rate, `coverage at horizon ${h}`).toBeLessThan(0.97);
    }
  });

  it('resumes from its serialized state with identical forecasts', () => {
    const xs = noisy(daily(24), 24 * 5, 4, 10);
    const a = fitForecaster(xs.slice(0, 80), { periods: [24] });
    const b = new SeasonalForecaster({}, JSON.parse(JSON.stringify(a.getState())));
    for (const x of xs.slice(80)) {
      a.update(x);
      b.update(x);
    }
    expect(b.forecast(30)).toEqual(a.forecast(30));
    expect(b.steps).toBe(xs.length);
    expect(b.cycles).toBe(5);
  });

  it('resumes a state saved before normalize, shiftRun and reach existed with the behaviour it had then', () => {
    const xs = noisy((t) => daily(24)(t) + (t >= 24 * 6 ? 50 : 0), 24 * 8, 4, 12);
    const old = { periods: [24], members: [{ memory: 0.5, trend: 0 }], normalize: false, shiftRun: 0 };
    const a = fitForecaster(xs.slice(0, 24 * 5), old);
    // A state written then has none of the new fields, in its config, its members' configs or its seasons.
    const saved = JSON.parse(JSON.stringify(a.getState()), (key, v) =>
      ['normalize', 'shiftRun', 'shiftJump', 'offset', 'clipRun', 'clipSum'].includes(key) ? undefined : v,
    );
    expect(JSON.stringify(saved)).not.toMatch(/normalize|shiftRun|shiftJump|offset|clipRun|clipSum/);
    const b = new SeasonalForecaster({}, saved);
    for (const x of xs.slice(24 * 5)) {
      a.update(x);
      b.update(x);
    }
    expect(b.forecast(24)).toEqual(a.forecast(24));
    // The same data with the new defaults learns the shift differently, so the comparison above can tell them apart.
    expect(fitForecaster(xs, { ...old, normalize: true, shiftRun: 3 }).forecast(24)).not.toEqual(a.forecast(24));
  });

  it('steps over gaps and is not bent by spikes', () => {
    const p = 24;
    const clean = noisy(daily(p), p * 6, 2, 11);
    const spiky = clean.map((x, t) => (t % 37 === 36 ? x * 20 : t % 53 === 0 ? Number.NaN : x));
    const truth = Array.from({ length: p }, (_, k) => daily(p)(p * 6 + k));
    const err = meanAbsoluteError(
      truth,
      fitForecaster(spiky, { periods: [p] })
        .forecast(p)
        .map((x) => x.mean),
    );
    expect(err).toBeLessThan(5);
    expect(fitForecaster([Number.NaN, Number.NaN], {}).forecast(2)).toHaveLength(2);
  });

  it('follows a level shift and a trend with its faster members, and keeps the slow one on a steady series', () => {
    const p = 48;
    const steady = daily(p);
    const shifted = (t: number) => daily(p)(t) + (t >= p * 12 + 7 ? 60 : 0);
    const trending = (t: number) => daily(p)(t) + t * 0.1;
    const errors = (signal: (t: number) => number, seed: number) => {
      const xs = noisy(signal, p * 14, 5, seed);
      const truth = Array.from({ length: p }, (_, k) => signal(xs.length + k));
      const err = (config: Parameters<typeof fitForecaster>[1]) =>
        meanAbsoluteError(
          truth,
          fitForecaster(xs, config)
            .forecast(p)
            .map((x) => x.mean),
        );
      // The slow member without the jump on a confirmed shift (shiftJump, tested below), which would follow the shift at once.
      return { ensemble: err({ periods: [p] }), slow: err({ periods: [p], members: [{ memory: 2, trend: 0 }], shiftJump: 0 }) };
    };
    const shift = errors(shifted, 21);
    // The slow level (two cycles of memory) has not yet caught up with the shift of 60 two cycles later.
    expect(shift.slow).toBeGreaterThan(6);
    expect(shift.ensemble).toBeLessThan(0.5 * shift.slow);
    const trend = errors(trending, 22);
    expect(trend.ensemble).toBeLessThan(0.75 * trend.slow);
    const flat = errors(steady, 23);
    expect(flat.ensemble).toBeLessThan(1.25 * flat.slow + 0.5);
  });

  it('a log member follows a level that scales the whole daily profile, where an additive one keeps the old amplitude', () => {
    const p = 48;
    // The level doubles over 20 cycles and the profile scales with it (multiplicative season); Poisson-like noise.
    const signal = (t: number) => 2 ** (t / (p * 20)) * (20 + 200 * Math.max(0, Math.sin((2 * Math.PI * t) / p)) ** 2);
    const z = normals(42);
    const xs = Array.from({ length: p * 20 }, (_, t) => Math.max(0, signal(t) + Math.sqrt(signal(t)) * z()));
    const truth = Array.from({ length: p }, (_, k) => signal(xs.length + k));
    const err = (log: boolean) =>
      meanAbsoluteError(
        truth,
        fitForecaster(xs, { periods: [p], members: [{ memory: 0.5, trend: 0, log }] })
          .forecast(p)
          .map((x) => x.mean),
      );
    expect(err(true)).toBeLessThan(0.6 * err(false));
    // Its interval maps back in order around the point, and it resumes from its state like any member.
    const f = fitForecaster(xs, { periods: [p], members: [{ memory: 0.5, trend: 0, log: true }] });
    for (const x of f.forecast(p)) {
      expect(x.lower).toBeLessThanOrEqual(x.mean);
      expect(x.upper).toBeGreaterThanOrEqual(x.mean);
    }
    expect(new SeasonalForecaster({}, f.getState()).forecast(p)).toEqual(f.forecast(p));
  });

  it('with point median, moves the point towards the middle of skewed noise (less absolute error than the mean)', () => {
    const p = 24;
    const rng = createRng(31);
    const z = normals(32);
    // Bursty counts: small noise, and a burst of +50 one step in five (mean +10, median about +0.3).
    const xs = Array.from({ length: p * 40 }, (_, t) => daily(p)(t) + 2 * z() + (rng.next() < 0.2 ? 50 : 0));
    const err = (point: 'mean' | 'median') => {
      const f = fitForecaster(xs.slice(0, p * 20), { periods: [p], point });
      const actual: number[] = [];
      const forecast: number[] = [];
      for (let t = p * 20; t < xs.length; t++) {
        if (t % p === 0 && t + p <= xs.length) {
          actual.push(...xs.slice(t, t + p));
          forecast.push(...f.forecast(p).map((x) => x.mean));
        }
        f.update(xs[t] as number);
      }
      return meanAbsoluteError(actual, forecast);
    };
    expect(err('median')).toBeLessThan(0.9 * err('mean'));
  });

  it('carries a damped trend over a cycle ahead with a member whose trend reaches cycles, once the seasons keep a mean of 0', () => {
    const p = 48;
    const signal = (t: number) => daily(p)(t) + t * 0.1;
    const xs = noisy(signal, p * 16, 5, 24);
    const truth = Array.from({ length: p }, (_, k) => signal(xs.length + k));
    const err = (config: Parameters<typeof fitForecaster>[1]) =>
      meanAbsoluteError(
        truth,
        fitForecaster(xs, { periods: [p], ...config })
          .forecast(p)
          .map((x) => x.mean),
      );
    const level = err({ members: [{ memory: 0.5, trend: 0 }], normalize: true });
    const trend = err({ members: [{ memory: 0.5, trend: 0.5, reach: 4 }], normalize: true });
    // Without a trend the level lags and the cycle ahead misses its rise (about 2.4 on average over the cycle).
    expect(level).toBeGreaterThan(2);
    expect(trend).toBeLessThan(0.5 * level);
    // Without normalize the slots learn part of the rise, one slot a cycle, and the trend sees less of it.
    expect(trend).toBeLessThan(err({ members: [{ memory: 0.5, trend: 0.5, reach: 4 }], normalize: false }));
  });

  it('with shiftRun, lets a level shift through the clip after a run of errors on one side, and still clips lone spikes', () => {
    const p = 48;
    const shifted = (t: number) => daily(p)(t) + (t >= p * 10 + 7 ? 60 : 0);
    const xs = noisy(shifted, p * 10 + 7 + p / 2, 3, 25);
    const truth = Array.from({ length: p }, (_, k) => shifted(xs.length + k));
    const err = (shiftRun: number) =>
      meanAbsoluteError(
        truth,
        fitForecaster(xs, { periods: [p], members: [{ memory: 0.125, trend: 0 }], shiftRun })
          .forecast(p)
          .map((x) => x.mean),
      );
    // Clipped at 4 mean absolute errors, the level climbs about 10 per step at most and the seasons take part of the shift.
    expect(err(3)).toBeLessThan(0.5 * err(0));
    // Lone spikes (one step 20 times the value) never make a run: they are clipped exactly as without shiftRun.
    const spiky = noisy(daily(p), p * 8, 2, 26).map((x, t) => (t % 37 === 36 ? x * 20 : x));
    const forecast = (shiftRun: number) => fitForecaster(spiky, { periods: [p], shiftRun }).forecast(p);
    expect(forecast(3)).toEqual(forecast(0));
  });

  it('with shiftJump, moves a slow level by the whole shift once the run has lasted 1/24 cycle, and never for short bursts', () => {
    const p = 96;
    const shifted = (t: number) => daily(p)(t) + (t >= p * 10 + 7 ? 60 : 0);
    const xs = noisy(shifted, p * 10 + 7 + p / 2, 3, 27);
    const truth = Array.from({ length: p }, (_, k) => shifted(xs.length + k));
    // A level that remembers two cycles: half a cycle after the shift it has learnt only a small part of it.
    const err = (shiftJump: number) =>
      meanAbsoluteError(
        truth,
        fitForecaster(xs, { periods: [p], members: [{ memory: 2, trend: 0 }], shiftRun: 3, shiftJump })
          .forecast(p)
          .map((x) => x.mean),
      );
    expect(err(0)).toBeGreaterThan(20);
    // With the jump (the default, 1/24 cycle: 4 steps here) the level is at the new value: what is left is the noise.
    expect(err(1 / 24)).toBeLessThan(3);
    // Bursts of 3 steps at 3 times the value pass the clip as a run (shiftRun 3) but end before 4 steps: no jump.
    const bursty = noisy(daily(p), p * 8, 2, 28).map((x, t) => (t % 53 >= 50 ? x * 3 : x));
    const forecast = (shiftJump: number) => fitForecaster(bursty, { periods: [p], members: [{ memory: 2, trend: 0 }], shiftJump }).forecast(p);
    expect(forecast(1 / 24)).toEqual(forecast(0));
    // A jump after 3 steps would take every burst for a shift, and the forecast would differ.
    expect(forecast(3 / p)).not.toEqual(forecast(0));
    // Without periods there is no cycle to measure a run by: no jump, even after a long run.
    const flat = (shiftJump: number) => fitForecaster(xs, { members: [{ memory: 2, trend: 0 }], shiftJump }).forecast(4);
    expect(flat(1 / 24)).toEqual(flat(0));
    expect(() => forecasterConfig({ shiftJump: 2 })).toThrow(/shiftJump/);
  });

  it('reads a season as the mean of the middle third of its slots: less of their noise than the median a cycle ahead', () => {
    const p = 96;
    const xs = noisy(daily(p), p * 12, 8, 29);
    const truth = Array.from({ length: p }, (_, k) => daily(p)(xs.length + k));
    // One slow member, so that only the reading of the seasons differs; the width is +/-4 slots.
    const err = (seasonRead: 'median' | 'trimmed') =>
      meanAbsoluteError(
        truth,
        fitForecaster(xs, { periods: [p], members: [{ memory: 2, trend: 0 }], smoothFraction: 0.04, seasonRead })
          .forecast(p)
          .map((x) => x.mean),
      );
    expect(err('trimmed')).toBeLessThan(0.9 * err('median'));
    expect(() => forecasterConfig({ seasonRead: 'mean' as 'median' })).toThrow(/seasonRead/);
  });

  it('refuses bad settings, naming the field', () => {
    expect(() => forecasterConfig({ alpha: 0 })).toThrow(/alpha/);
    expect(() => forecasterConfig({ periods: [1.5] })).toThrow(/periods/);
    expect(() => forecasterConfig({ members: [{ memory: 0, trend: 0 }] })).toThrow(/memory/);
    expect(() => forecasterConfig({ point: 'mode' as 'mean' })).toThrow(/point/);
    expect(() => forecasterConfig({ members: [{ memory: 1, trend: 0.5, reach: 0 }] })).toThrow(/reach/);
    expect(() => forecasterConfig({ shiftRun: -1 })).toThrow(/shiftRun/);
    expect(() => forecasterConfig({ top: 0 })).toThrow(/top/);
  });
});

describe('error measures', () => {
  it('computes seasonal-naive, MAE, MASE and coverage by hand', () => {
    expect(seasonalNaive([1, 2, 3, 4], 2, 3)).toEqual([3, 4, 3]);
    expect(meanAbsoluteError([1, 2, Number.NaN], [2, 2, 5])).toBe(0.5);
    // In-sample seasonal-naive errors of [1, 2, 3, 5] with period 2: |3-1|, |5-2| -> 2.5.
    expect(mase([4], [3], [1, 2, 3, 5], 2)).toBeCloseTo(1 / 2.5, 12);
    expect(coverage([1, 5, 3], [0, 0, 0], [2, 2, 4])).toBeCloseTo(2 / 3, 12);
  });
});
