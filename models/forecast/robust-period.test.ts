/**
 * Period detection where the single steps' autocorrelation sees no cycle: gaps, low counts, bursts; and no
 * period where there is none, however the series wanders or bursts.
 */
import { describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../stats/index.ts';
import { autocorrelation, detectPeriods, roundPeriodsFor } from './index.ts';

const DAY = 288;
const ROUND = roundPeriodsFor(300);

function normal(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

function poisson(rng: Rng, mean: number): number {
  const l = Math.exp(-mean);
  let k = 0;
  for (let p = rng.next(); p > l; p *= rng.next()) k++;
  return k;
}

/** `n` steps of an AR(1) level with coefficient `phi` (1: a random walk); `gap(t)` true makes step t a gap. */
function ar(rng: Rng, phi: number, n: number, gap: (t: number) => boolean = () => false): number[] {
  let a = 0;
  const out: number[] = [];
  for (let t = 0; t < n; t++) {
    a = phi * a + normal(rng);
    out.push(gap(t) ? Number.NaN : a);
  }
  return out;
}

/** 14 days of 5-minute counts of mean `base` times a daily factor exp(amp sin), with bursts of `burst` times the count (5 to 35 steps, one start in 300 steps). */
function counts(seed: number, base: number, amp: number, burst = 1): number[] {
  const rng = createRng(seed);
  let left = 0;
  return Array.from({ length: 14 * DAY }, (_, t) => {
    if (left > 0) left--;
    else if (burst > 1 && rng.next() < 1 / 300) left = 5 + Math.floor(30 * rng.next());
    return poisson(rng, base * Math.exp(amp * Math.sin((2 * Math.PI * t) / DAY)) * (left > 0 ? burst : 1));
  });
}

describe('autocorrelation with gaps', () => {
  it('keeps the correlation of the points it has: a sine with 40 % of its points missing still correlates near 1 a period apart', () => {
    const rng = createRng(3);
    const xs = Array.from({ length: 2000 }, (_, t) => (rng.next() < 0.4 ? Number.NaN : Math.sin((2 * Math.PI * t) / 50)));
    const acf = autocorrelation(xs, 100);
    expect(acf[50]).toBeGreaterThan(0.95);
    expect(acf[25]).toBeLessThan(-0.95);
  });
});

describe('detectPeriods, the second look on block means of ranks', () => {
  it('finds the daily period of counts of one in two steps, which the single steps do not show', () => {
    for (const seed of [1, 2, 3]) {
      const xs = counts(seed, 0.5, 0.5);
      expect(detectPeriods(xs, { roundPeriods: ROUND, robust: false })).toEqual([]);
      expect(detectPeriods(xs, { roundPeriods: ROUND }).map((p) => p.steps)).toEqual([DAY]);
    }
  });

  it('finds the daily period of counts under bursts of fifty times the usual count, where the single steps show none or a wrong one', () => {
    for (const seed of [4, 5, 6]) {
      const xs = counts(seed, 3, 0.4, 50);
      expect(detectPeriods(xs, { roundPeriods: ROUND, robust: false }).map((p) => p.steps)).not.toEqual([DAY]);
      expect(detectPeriods(xs, { roundPeriods: ROUND }).map((p) => p.steps)).toEqual([DAY]);
    }
  });

  it('finds no period in series with none: low or bursty counts, white noise, a persistent or wandering level, with gaps', () => {
    const nulls: Array<(rng: Rng) => number[]> = [
      (rng) => Array.from({ length: 14 * DAY }, () => poisson(rng, 0.5)),
      (rng) => Array.from({ length: 14 * DAY }, () => normal(rng)),
      (rng) => ar(rng, 0.99, 14 * DAY),
      (rng) => ar(rng, 1, 14 * DAY),
      (rng) => ar(rng, 0.95, 14 * DAY, () => rng.next() < 0.3),
    ];
    nulls.forEach((make, i) => {
      for (let seed = 1; seed <= 10; seed++) expect(detectPeriods(make(createRng(100 * i + seed)), { roundPeriods: ROUND })).toEqual([]);
    });
    for (const seed of [7, 8, 9]) expect(detectPeriods(counts(seed, 3, 0, 50), { roundPeriods: ROUND })).toEqual([]);
  });

  it('does not take a lag with few pairs of finite points for a cycle (a sensor that was off for days)', () => {
    // Two stretches of a wandering level, 3 days apart: a lag near the gap has few pairs and a chance correlation.
    for (let seed = 1; seed <= 10; seed++) {
      const xs = ar(createRng(seed), 0.97, 6 * DAY, (t) => t > DAY && t < 4.5 * DAY);
      expect(detectPeriods(xs, { roundPeriods: ROUND })).toEqual([]);
    }
  });
});
