/**
 * Period detection's second look, for series whose single-step autocorrelation shows no cycle although they
 * have one: counts of a few per step (the cycle is a fraction of the Poisson noise of each step), bursty
 * counts (one burst of a hundred times the usual outweighs a month of days in a product-moment correlation),
 * and sensors that report a level wandering around a weak daily dip. Each round period (a calendar duration:
 * an hour, a day, a week) is checked in turn on the ranks of the values (bursts weigh as one high value),
 * averaged over blocks of about 1/24 of that period (the step noise averages out, the cycle stays): the
 * block means' autocorrelation must peak at that period, and the peak must stand clear of what the series'
 * own persistence gives a lag by chance (Bartlett's standard error). Of the round periods that pass, the
 * shortest of which the clearest is a multiple is the period.
 */
import { bartlettZ, peaks } from './acf-peaks.ts';
import { autocorrelationWithPairs } from './autocorrelation.ts';
import { blockFor, blockMeans, ranks } from './block-means.ts';

/** Settings of {@link robustPeriod}. */
export interface RobustPeriodConfig {
  /** Least autocorrelation of the block means at the period (default 0.2: as the first look's). */
  minStrength: number;
  /** Least ratio of that autocorrelation to its Bartlett standard error (default 3). */
  minZ: number;
}

/** Defaults of {@link RobustPeriodConfig}. */
export const DEFAULT_ROBUST_PERIOD: RobustPeriodConfig = { minStrength: 0.2, minZ: 3 };

/** A round period confirmed on block means of ranks, with its strength (the block means' autocorrelation there) and z. */
export interface RobustPeriod {
  steps: number;
  strength: number;
  z: number;
}

/** The z of the block means' autocorrelation peaking within 3 % of lag `lag`, or undefined when it does not. */
function peakZ(acf: readonly number[], pairs: readonly number[], lag: number, c: RobustPeriodConfig): { z: number; strength: number } | undefined {
  const w = Math.max(1, Math.round(lag * 0.03));
  const found = peaks(acf, lag - w, Math.min(acf.length - 1, lag + w), c.minStrength);
  if (found.length === 0) return undefined;
  const k = found.reduce((a, b) => ((acf[b] as number) > (acf[a] as number) ? b : a));
  // A cycle's worth of pairs at least (two cycles seen), as the first look asks.
  if ((pairs[k] as number) < k) return undefined;
  const z = bartlettZ(acf, pairs, k);
  return z >= c.minZ ? { z, strength: acf[k] as number } : undefined;
}

/**
 * The round period among `roundPeriods` (in steps, at least `minPeriod`) that the block means of the ranks of
 * `xs` confirm (the fundamental of those that pass) (see the module comment), or undefined when none does.
 */
export function robustPeriod(
  xs: readonly number[],
  roundPeriods: readonly number[],
  minPeriod: number,
  config: Partial<RobustPeriodConfig> = {},
): RobustPeriod | undefined {
  const c = { ...DEFAULT_ROBUST_PERIOD, ...config };
  const r = ranks(xs);
  const passed: RobustPeriod[] = [];
  for (const p of [...roundPeriods].sort((a, b) => a - b)) {
    if (!Number.isInteger(p) || p < Math.max(2, minPeriod) || 2 * p > xs.length) continue;
    const b = blockFor(p);
    const lag = p / b;
    // A peak needs lags on either side of it, and something before it to stand above.
    if (lag < 4) continue;
    const { acf, pairs } = autocorrelationWithPairs(blockMeans(r, b), lag + Math.max(2, Math.round(lag * 0.1)));
    const hit = peakZ(acf, pairs, lag, c);
    if (hit) passed.push({ steps: p, ...hit });
  }
  if (passed.length === 0) return undefined;
  // The fundamental: the shortest that passes of which the clearest is a multiple (a daily cycle repeats weekly
  // too; a shorter round period that passes by chance and does not divide it is not the cycle).
  const top = passed.reduce((a, b) => (b.z > a.z ? b : a));
  return passed.find((p) => top.steps % p.steps === 0) as RobustPeriod;
}
