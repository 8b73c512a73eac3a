import { describe, expect, it } from 'vitest';
import { normalTail } from '../likelihood/index.ts';
import { createRng, type Rng } from '../stats/index.ts';
import type { ServiceScore, WindowInput } from './outputs.ts';
import { deviationOfLogTail, fisherLogP, serviceDeviation, tippettLogP } from './service-combination.ts';
import { ServiceModels } from './service-models.ts';

const STEP = 300_000;
const DAY = 86_400_000;
const EPISODE = { openLevel: 0.7, closeLevel: 0.5, minOpenMs: 0, minCloseMs: STEP, flapWindowMs: 60 * STEP, flapOpenings: 3 };

function gauss(rng: Rng): number {
  const u = Math.max(1e-12, rng.next());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** A service of `metrics` gauges, each around its own level with 5 % noise; `shift` adds to some of them. */
function window(service: string, k: number, rng: Rng, metrics: number, shift: (m: number) => number = () => 0): WindowInput {
  const features: Record<string, number> = {};
  for (let m = 0; m < metrics; m++) features[`metric:m${m}`] = 100 * (m + 1) * (1 + 0.05 * gauss(rng)) + shift(m);
  return { service, startMs: k * STEP, endMs: (k + 1) * STEP, features, callees: [] };
}

function run(models: ServiceModels, windows: WindowInput[]): ServiceScore[] {
  return windows.map((w) => models.scoreBatch([w])[0] as ServiceScore);
}

describe('combination of p-values', () => {
  it("Fisher's p is the chi-square tail of 2S with 2k degrees of freedom", () => {
    expect(fisherLogP(3, 1)).toBeCloseTo(-3, 12);
    expect(fisherLogP(3, 2)).toBeCloseTo(-3 + Math.log(1 + 3), 12);
    expect(fisherLogP(5, 3)).toBeCloseTo(-5 + Math.log(1 + 5 + 12.5), 12);
    // Far in the tail it stays finite and keeps decreasing.
    expect(fisherLogP(2000, 19)).toBeLessThan(fisherLogP(1000, 19));
    expect(Number.isFinite(fisherLogP(2000, 19))).toBe(true);
  });

  it("Tippett's p is 1 - (1 - p)^k, k p when p is tiny", () => {
    expect(Math.exp(tippettLogP(Math.log(0.1), 3))).toBeCloseTo(1 - 0.9 ** 3, 12);
    expect(tippettLogP(-100, 20)).toBeCloseTo(-100 + Math.log(20), 12);
  });

  it('the deviation of a log tail matches the Gaussian tail and never overflows', () => {
    for (const z of [1, 2.5, 4, 6]) expect(deviationOfLogTail(Math.log(normalTail(z)))).toBeCloseTo(z, 2);
    expect(deviationOfLogTail(-1e6)).toBeGreaterThan(deviationOfLogTail(-1e5));
    expect(Number.isFinite(deviationOfLogTail(-1e6))).toBe(true);
    // A p of exactly 0 (a score of 1 read back) is an infinite deviation, not NaN.
    expect(deviationOfLogTail(Number.NEGATIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
  });

  it('one feature far off alarms through the single-feature question, several moderately off through the joint one', () => {
    // One feature at p = 1e-9, nineteen quiet ones: the smallest p decides.
    const single = serviceDeviation({ sum: 9 * Math.LN10, count: 20, max: 9 * Math.LN10 }, fisherLogP(9 * Math.LN10, 20));
    expect(single).toBeGreaterThan(5);
    // Eight features at p = 1e-3 each: none alone is much, together they are.
    const s = 8 * 3 * Math.LN10;
    const alone = serviceDeviation({ sum: 3 * Math.LN10, count: 20, max: 3 * Math.LN10 }, fisherLogP(3 * Math.LN10, 20));
    const joint = serviceDeviation({ sum: s, count: 20, max: 3 * Math.LN10 }, fisherLogP(s, 20));
    expect(alone).toBeLessThan(3);
    expect(joint).toBeGreaterThan(5);
  });
});

describe('service score from combined surprises (ServiceModels)', () => {
  it('keeps ranking: a larger latency fault scores higher, and no two fault sizes tie at 1', () => {
    const scores: number[] = [];
    for (const size of [50, 150, 400]) {
      const rng = createRng(7);
      const models = new ServiceModels({ episode: EPISODE, warmupWindows: 30 });
      const ws = Array.from({ length: 600 }, (_, k) => {
        const w = window('svc', k, rng, 6);
        // 50 ms with 2 ms of noise (the spread floor is 10 %, 5 ms): the fault adds 10, 30 and 80 spreads (beyond about 100 the score mapping itself reaches 1 in double precision).
        w.features.latency_p99_ms = 50 + 2 * gauss(rng) + (k === 599 ? size : 0);
        return w;
      });
      const out = run(models, ws);
      scores.push((out[599] as ServiceScore).score);
    }
    expect(scores[0]).toBeGreaterThan(0.7);
    expect(scores[1]).toBeGreaterThan(scores[0] as number);
    expect(scores[2]).toBeGreaterThan(scores[1] as number);
    expect(scores[2]).toBeLessThan(1);
  });

  it('a resource metric alone counts as far as its history attests: spikes of a metric that is almost always 0 open nothing for days', () => {
    const rng = createRng(3);
    const models = new ServiceModels({ episode: EPISODE, warmupWindows: 30 });
    const ws = Array.from({ length: 1500 }, (_, k) => {
      const w = window('sparse', k, rng, 6);
      // A metric that is 0 but for one window in 23 (4 %), like a count of rare events.
      w.features['metric:sparse'] = k % 23 === 0 ? 0.01 + 2.6 * rng.next() : 0;
      return w;
    });
    const out = run(models, ws).slice(100);
    const spikes = out.filter((r) => (r.input.features['metric:sparse'] as number) > 0);
    expect(spikes.length).toBeGreaterThan(50);
    // The maximum over features opened an episode at every spike, at a score of 1: none of the spikes was ever
    // learned (each opened an episode), so the metric's spread shrank and they grew to tens of thousands of spreads.
    expect(out.filter((r) => r.transition === 'open')).toHaveLength(0);
    expect(Math.max(...spikes.map((r) => r.score))).toBeLessThan(0.7);
  });

  it('a shift of many metrics together opens an episode although none of them alone is far off', () => {
    const rng = createRng(11);
    const models = new ServiceModels({ episode: EPISODE, warmupWindows: 30 });
    // 2.5 spreads on every one of twelve metrics (the spread is the floor, 10 % of the level; the noise is half that).
    const ws = Array.from({ length: 1200 }, (_, k) => window('svc', k, rng, 12, (m) => (k >= 1190 ? 25 * (m + 1) : 0)));
    const out = run(models, ws);
    const before = out.slice(900, 1190);
    expect(before.filter((r) => r.transition === 'open')).toHaveLength(0);
    const during = out.slice(1190);
    const opened = during.find((r) => r.transition === 'open');
    expect(opened).toBeDefined();
    // The event names the features that deviated.
    expect(opened?.evidence.length).toBeGreaterThan(0);
    expect(opened?.evidence.every((e) => e.feature.startsWith('metric:m') && e.observed > e.expected)).toBe(true);
    expect(Math.max(...during.map((r) => r.score))).toBeGreaterThan(Math.max(...before.map((r) => r.score)));
  });

  it("learns an episode that returns at the same time every day as the service's daily pattern, but not a fault that returns within the day", () => {
    const rng = createRng(5);
    const models = new ServiceModels({ episode: EPISODE, warmupWindows: 30 });
    const perDay = DAY / STEP;
    // Six quiet days, then every day from 02:00 to 03:00 every metric doubles.
    const days = 14;
    const ws = Array.from({ length: days * perDay }, (_, k) => {
      const slot = k % perDay;
      const surge = k >= 6 * perDay && slot >= 24 && slot < 36;
      return window('daily', k, rng, 4, (m) => (surge ? 100 * (m + 1) : 0));
    });
    const out = run(models, ws);
    const openedOn = (day: number) => out.slice(day * perDay, (day + 1) * perDay).filter((r) => r.transition === 'open').length;
    expect(openedOn(6)).toBeGreaterThan(0);
    expect(openedOn(days - 1)).toBe(0);

    // The same surge three times within one day, an hour apart, opens an episode each time.
    const rng2 = createRng(5);
    const again = new ServiceModels({ episode: EPISODE, warmupWindows: 30 });
    const ws2 = Array.from({ length: 6 * perDay + 80 }, (_, k) => {
      const t = k - 6 * perDay;
      const fault = t >= 0 && t % 24 < 8;
      return window('faulty', k, rng2, 4, (m) => (fault ? 100 * (m + 1) : 0));
    });
    const out2 = run(again, ws2).slice(6 * perDay);
    expect(out2.filter((r) => r.transition === 'open').length).toBeGreaterThanOrEqual(3);
  });
});
