/**
 * Ops-shaped checks of the per-signal model, each with a known answer: where
 * the incident starts (an alarm must come soon after) and where the series is
 * normal after warm-up (no alarm there). Series are synthetic with a seeded
 * RNG; the answers follow from how they are built, not from a run.
 */
import { describe, expect, it } from 'vitest';
import { createRng } from '../stats/index.ts';
import { SignalModel, scoreSeries } from './signal-model.ts';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 5);

/** Row indices with a reported alarm. */
function alarms(scores: readonly number[]): number[] {
  return scores.flatMap((s, i) => (s > 0 ? [i] : []));
}

/** Gaussian noise from the seeded RNG (Box-Muller). */
function gauss(rng: { next(): number }): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

function series(n: number, stepMs: number, f: (i: number, rng: { next(): number }) => number, seed = 7): { times: number[]; values: number[] } {
  const rng = createRng(seed);
  const times = Array.from({ length: n }, (_, i) => T0 + i * stepMs);
  const values = times.map((_, i) => f(i, rng));
  return { times, values };
}

/** Alarms in the quiet part [from, to) and the first alarm at or after `onset`. */
function verdict(scores: readonly number[], from: number, to: number, onset: number): { quiet: number[]; first: number | undefined } {
  const a = alarms(scores);
  return { quiet: a.filter((i) => i >= from && i < to), first: a.find((i) => i >= onset) };
}

describe('SignalModel: ops-shaped series with known answers', () => {
  it('pages within a few rows of a step change in an error ratio, and not before', () => {
    const onset = 2000;
    const s = series(2600, MINUTE, (i, rng) => Math.max(0, (i < onset ? 0.01 : 0.06) + 0.002 * gauss(rng)));
    const v = verdict(scoreSeries(s.times, s.values), 300, onset, onset);
    expect(v.quiet).toEqual([]);
    expect(v.first).toBeDefined();
    expect((v.first as number) - onset).toBeLessThanOrEqual(3);
  });

  it('pages on a slow latency creep before it has doubled the latency', () => {
    const onset = 2000;
    // p95 latency 200 ms with 5 % noise; from the onset it creeps by 0.5 ms a minute.
    const s = series(3000, MINUTE, (i, rng) => 200 + 10 * gauss(rng) + (i >= onset ? 0.5 * (i - onset) : 0));
    const v = verdict(scoreSeries(s.times, s.values), 300, onset, onset);
    expect(v.quiet).toEqual([]);
    expect(v.first).toBeDefined();
    // Doubling takes 400 rows; the creep is one noise sigma after 20 rows.
    expect((v.first as number) - onset).toBeLessThan(400);
  });

  it('pages on the broken day of a daily-seasonal series and not on the normal days', () => {
    const perDay = 288;
    const broken = 8;
    // Five-minute rows, a daily cycle of +-50 around 100; on day 8 the cycle is missing (a stuck feed at the mean).
    const s = series(10 * perDay, 5 * MINUTE, (i, rng) => {
      const day = Math.floor(i / perDay);
      const cycle = day === broken ? 0 : 50 * Math.sin((2 * Math.PI * (i % perDay)) / perDay);
      return 100 + cycle + 3 * gauss(rng);
    });
    const v = verdict(scoreSeries(s.times, s.values), 4 * perDay, broken * perDay, broken * perDay);
    expect(v.quiet).toEqual([]);
    expect(v.first).toBeDefined();
    expect(v.first as number).toBeLessThan((broken + 1) * perDay);
  });

  it('pages at a counter reset and not on the ordinary increments', () => {
    const reset = 2000;
    // The per-row increase of a cumulative request counter (about 10 requests a row), as a scraper
    // computes it: a restart resets the counter to 0, so that row's increase is minus the total.
    let total = 0;
    const s = series(2600, MINUTE, (i, rng) => {
      const before = total;
      if (i === reset) total = 0;
      total += Math.max(0, 10 + 2 * gauss(rng));
      return total - before;
    });
    const v = verdict(scoreSeries(s.times, s.values), 300, reset, reset);
    expect(v.quiet).toEqual([]);
    expect(v.first).toBe(reset);
  });

  it('pages when a noisy series flat-lines at zero (a dead exporter)', () => {
    const onset = 2000;
    const s = series(2600, MINUTE, (i, rng) => (i < onset ? 500 + 40 * gauss(rng) : 0));
    const v = verdict(scoreSeries(s.times, s.values), 300, onset, onset);
    expect(v.quiet).toEqual([]);
    expect(v.first).toBe(onset);
  });

  it('pages at the first spike of a spike train and not at every spike', () => {
    const onset = 2000;
    const period = 40;
    const spikes = 10;
    const s = series(2600, MINUTE, (i, rng) => {
      const inTrain = i >= onset && i < onset + period * spikes && (i - onset) % period === 0;
      return 50 + 2 * gauss(rng) + (inTrain ? 40 : 0);
    });
    const scores = scoreSeries(s.times, s.values);
    const v = verdict(scores, 300, onset, onset);
    expect(v.quiet).toEqual([]);
    expect(v.first).toBe(onset);
    const inTrain = alarms(scores).filter((i) => i >= onset && i < onset + period * spikes);
    expect(inTrain.length).toBeLessThanOrEqual(spikes / 2);
  });
});

describe('SignalModel: streaming contract', () => {
  const s = series(3000, MINUTE, (i, rng) => 100 + 5 * gauss(rng) + (i > 1800 && i < 1830 ? 60 : 0));

  it('never looks ahead: a row scores the same whatever follows it', () => {
    const full = scoreSeries(s.times, s.values);
    const prefix = scoreSeries(s.times.slice(0, 1810), s.values.slice(0, 1810));
    expect(prefix).toEqual(full.slice(0, 1810));
    expect(alarms(full).length).toBeGreaterThan(0);
  });

  it('continues bit for bit from its JSON state, and the state stays small', () => {
    const whole = new SignalModel();
    const first = new SignalModel();
    const expected = s.values.map((v, i) => whole.update(s.times[i] as number, v));
    for (let i = 0; i < 1500; i++) first.update(s.times[i] as number, s.values[i] as number);
    const json = JSON.stringify(first.toJSON());
    const resumed = new SignalModel({}, JSON.parse(json));
    const rest = s.values.slice(1500).map((v, i) => resumed.update(s.times[1500 + i] as number, v));
    expect(rest).toEqual(expected.slice(1500));
    expect(json.length).toBeLessThan(256 * 1024);
  });

  it('ignores non-finite input without changing its state', () => {
    const m = new SignalModel();
    for (let i = 0; i < 100; i++) m.update(s.times[i] as number, s.values[i] as number);
    const before = JSON.stringify(m.toJSON());
    expect(m.update(s.times[100] as number, Number.NaN)).toBe(0);
    expect(m.update(Number.NaN, 1)).toBe(0);
    expect(JSON.stringify(m.toJSON())).toBe(before);
  });
});
