/**
 * Seasonal periods found in the data: peaks of the autocorrelation. The
 * shortest strong peak is the fundamental period (a daily rhythm, a 4-hour
 * batch cycle); a longer period is kept when its lag, a multiple of the
 * fundamental, correlates clearly better than the other multiples (the
 * weekly cycle over a daily one: Monday resembles last Monday more than
 * yesterday).
 */
import { bartlettZ, peaks } from './acf-peaks.ts';
import { autocorrelation, autocorrelationWithPairs, detrend } from './autocorrelation.ts';
import { blockFor, blockMeans } from './block-means.ts';
import { robustPeriod } from './robust-period.ts';

/** Settings of {@link detectPeriods}. */
export interface PeriodDetectionConfig {
  /** Shortest period considered, in steps (default 4). */
  minPeriod: number;
  /** Longest period considered, in steps; at most half the series so that two cycles are seen (default: half the series). */
  maxPeriod?: number;
  /** Least autocorrelation of a period (default 0.2). */
  minStrength: number;
  /** How much higher a longer period's autocorrelation must be than its shorter multiples' (default 0.05). */
  minGain: number;
  /**
   * Or: how much less squared error repeating the longer period's lag has
   * than repeating the best of its shorter multiples, as a share (default
   * 0.25). The mean squared difference of points k steps apart is
   * 2 var (1 - acf(k)), so this is 1 - (1 - acf(long)) / (1 - acf(short)):
   * it finds a weekly cycle under a strong daily one, where every daily lag
   * correlates above 0.9 and no lag can beat another by `minGain`.
   */
  minErrorReduction: number;
  /** The least autocorrelation gain for `minErrorReduction` to count (default 0.01: a cycle that explains under 1 % of the variance is not worth its slots). */
  minGainFloor: number;
  /**
   * Least ratio of a period's autocorrelation to its standard error for a series with no cycle but its own
   * persistence (Bartlett's, see `bartlettZ`; default 3, chosen on synthetic series with no cycle: white
   * noise, AR(1) at 0.9 and 0.99, a random walk, low and bursty Poisson counts and a gappy AR(1), each found
   * a period in at most 1 of 100 seeds). Asked of the second look's periods, and of a first look's period
   * that is no round duration: it stops a lag with few pairs of finite points, or a wandering level's chance
   * bump, from passing for a cycle.
   */
  minZ: number;
  /**
   * The least z of a first look's round period, or of any when no `roundPeriods` are given (default 2): a peak at a round duration is likelier a cycle
   * than one anywhere, and three cycles of a smooth daily rhythm stand only 2.8 standard errors clear (a
   * smooth cycle is itself persistent over its first quarter); a wandering level's bumps that snap to a round
   * duration stand 1.0 to 1.4 (the synthetic series with no cycle of `robust-period.test.ts`).
   */
  minZRound: number;
  /** Most periods returned (default 2). */
  maxPeriods: number;
  /**
   * Periods, in steps, that a found period within 3 % snaps to: round
   * durations such as an hour, a day or a week (a few noisy cycles pin a
   * period down no closer than a per cent or two; calendars are round). Default none.
   */
  roundPeriods?: number[];
  /**
   * When the single steps' autocorrelation shows no cycle, or one that is no round period, look again at the
   * round periods on block means of the ranks (`robust-period.ts`: low counts, bursts, a weak cycle under a
   * wandering level); a round period found there replaces the first look's. Default true (absent: true;
   * false: the first look alone, as before session 18). Needs `roundPeriods`.
   */
  robust?: boolean;
}

/** Defaults of {@link PeriodDetectionConfig}. */
export const DEFAULT_PERIOD_DETECTION: PeriodDetectionConfig = {
  minPeriod: 4,
  minStrength: 0.2,
  minGain: 0.05,
  minErrorReduction: 0.25,
  minGainFloor: 0.01,
  minZ: 3,
  minZRound: 2,
  maxPeriods: 2,
};

/** Round durations (seconds) that operational cycles have: minutes, hours, a day, a week. */
export const ROUND_PERIOD_SECONDS = [60, 300, 600, 900, 1800, 3600, 7200, 10_800, 14_400, 21_600, 28_800, 43_200, 86_400, 604_800];

/** {@link ROUND_PERIOD_SECONDS} in steps of `stepSeconds` (those that are a whole number of at least 2 steps). */
export function roundPeriodsFor(stepSeconds: number): number[] {
  return ROUND_PERIOD_SECONDS.map((s) => s / stepSeconds).filter((p) => Number.isInteger(p) && p >= 2);
}

/** One seasonal period found. */
export interface DetectedPeriod {
  /** Length in steps. */
  steps: number;
  /** Autocorrelation at that lag, in [-1, 1]. */
  strength: number;
}

/** The lag near `guess` (within ±2 % or 2 steps) with the highest autocorrelation. */
function bestNear(acf: readonly number[], guess: number): number {
  const w = Math.max(2, Math.round(guess * 0.02));
  let best = guess;
  for (let k = Math.max(1, guess - w); k <= Math.min(acf.length - 1, guess + w); k++) if ((acf[k] as number) > (acf[best] as number)) best = k;
  return best;
}

/** `xs` with values beyond 5 robust standard deviations (1.4826 MAD) of the median pulled in to that bound, so that spikes do not drown the cycle. */
function winsorize(xs: readonly number[]): number[] {
  const finite = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (finite.length === 0) return [...xs];
  const med = finite[Math.floor(finite.length / 2)] as number;
  const dev = finite.map((x) => Math.abs(x - med)).sort((a, b) => a - b);
  const mad = 1.4826 * (dev[Math.floor(dev.length / 2)] as number);
  if (mad === 0) return [...xs];
  return xs.map((x) => (Number.isFinite(x) ? Math.max(med - 5 * mad, Math.min(med + 5 * mad, x)) : x));
}

/** The round period nearest `p` if one is within 3 % of it, else `p`. */
function snap(p: number, round: readonly number[] | undefined): number {
  let best = p;
  let gap = Number.POSITIVE_INFINITY;
  for (const r of round ?? []) {
    const d = Math.abs(r - p);
    if (Number.isInteger(r) && r >= 2 && d <= 0.03 * r && d < gap) {
      best = r;
      gap = d;
    }
  }
  return best;
}

/**
 * The vertex of the least-squares parabola through the autocorrelation within
 * ±10 % of `k`, rounded: noise moves the top of a broad peak by a few lags,
 * the parabola hardly.
 */
function vertex(acf: readonly number[], k: number): number {
  const w = Math.max(2, Math.round(k * 0.1));
  let [s0, s1, s2, s3, s4, y0, y1, y2] = [0, 0, 0, 0, 0, 0, 0, 0];
  for (let j = Math.max(1, k - w); j <= Math.min(acf.length - 1, k + w); j++) {
    const d = j - k;
    const y = acf[j] as number;
    s0 += 1;
    s1 += d;
    s2 += d * d;
    s3 += d ** 3;
    s4 += d ** 4;
    y0 += y;
    y1 += d * y;
    y2 += d * d * y;
  }
  // Normal equations for y = a d^2 + b d + c, solved by Cramer's rule.
  const det = (m: number[]) => m[0]! * (m[4]! * m[8]! - m[5]! * m[7]!) - m[1]! * (m[3]! * m[8]! - m[5]! * m[6]!) + m[2]! * (m[3]! * m[7]! - m[4]! * m[6]!);
  const D = det([s4, s3, s2, s3, s2, s1, s2, s1, s0]);
  if (D === 0) return k;
  const a = det([y2, s3, s2, y1, s2, s1, y0, s1, s0]) / D;
  const b = det([s4, y2, s2, s3, y1, s1, s2, y0, s0]) / D;
  if (a >= 0) return k;
  const v = Math.round(k - b / (2 * a));
  return Math.abs(v - k) <= w ? v : k;
}

/**
 * The period within ±2 % of `p` whose folded profile (the mean at each phase)
 * explains the most variance, less what as many slot means explain by chance:
 * every cycle counts, not only the autocorrelation's one lag.
 */
function refineByFolding(xs: readonly number[], p: number): number {
  const d = detrend(xs);
  const ok = xs.map((x) => Number.isFinite(x));
  const w = Math.max(1, Math.round(p * 0.02));
  let best = p;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let q = Math.max(2, p - w); q <= p + w && 2 * q <= xs.length; q++) {
    const sum = new Float64Array(q);
    const cnt = new Float64Array(q);
    let total = 0;
    let n = 0;
    d.forEach((v, t) => {
      if (!ok[t]) return;
      const i = t % q;
      sum[i] = (sum[i] as number) + v;
      cnt[i] = (cnt[i] as number) + 1;
      total += v * v;
      n++;
    });
    let between = 0;
    for (let i = 0; i < q; i++) if ((cnt[i] as number) > 0) between += (sum[i] as number) ** 2 / (cnt[i] as number);
    const noise = n > q ? (total - between) / (n - q) : 0;
    const score = between - q * noise;
    if (score > bestScore) {
      bestScore = score;
      best = q;
    }
  }
  return best;
}

/**
 * A period longer than `p1` (a multiple of it) whose autocorrelation beats the
 * other multiples by `minGain`, or whose lag's squared difference is
 * `minErrorReduction` below theirs (by at least `minGainFloor`), if any (the one that beats them most).
 */
function longerPeriod(acf: readonly number[], p1: number, maxLag: number, c: PeriodDetectionConfig): number | undefined {
  let best: number | undefined;
  let bestGain = 0;
  for (let m = 2; m * p1 <= maxLag; m++) {
    const k = bestNear(acf, m * p1);
    let others = Number.NEGATIVE_INFINITY;
    for (let j = 1; j < m; j++) others = Math.max(others, acf[bestNear(acf, j * p1)] as number);
    const gain = (acf[k] as number) - others;
    const reduction = others < 1 ? gain / (1 - others) : 0;
    if (gain > bestGain && (gain > c.minGain || (reduction >= c.minErrorReduction && gain >= c.minGainFloor))) {
      bestGain = gain;
      // An exact multiple, so that the longer cycle's slots line up with the shorter one's.
      best = m * p1;
    }
  }
  return best;
}

/**
 * Seasonal periods of `xs` (equally spaced; non-finite values are gaps),
 * shortest first. Empty when the series shows no cycle, or is shorter than
 * two cycles of any period it might have.
 */
export function detectPeriods(xs: readonly number[], config: Partial<PeriodDetectionConfig> = {}): DetectedPeriod[] {
  const c = { ...DEFAULT_PERIOD_DETECTION, ...config };
  const { periods: found, z } = firstLook(xs, c);
  const round = c.roundPeriods ?? [];
  if (c.robust === false) return found;
  // A round fundamental (or any, when no durations are known) stands on the first look's evidence.
  if (found.length > 0 && z >= c.minZRound && (round.length === 0 || round.includes((found[0] as DetectedPeriod).steps))) return found;
  // None, or one that is no round duration (6 days, 62 steps: what bursts or a wandering level make of the
  // single steps' autocorrelation): the second look checks the round ones on ranks; failing that, a period
  // that is no round duration is kept only if it stands clear of the series' persistence.
  const hit = robustPeriod(xs, round, c.minPeriod, { minStrength: c.minStrength, minZ: c.minZ });
  if (hit) return [{ steps: hit.steps, strength: hit.strength }];
  return z >= c.minZ ? found : [];
}

/**
 * The periods that the autocorrelation of single steps shows (see {@link detectPeriods}), and the
 * fundamental's z (see `bartlettZ`). The longest lag looked at has at least as many pairs of finite points
 * as its own length (half the series without gaps: two cycles seen; with gaps, a cycle's worth of pairs).
 */
function firstLook(xs: readonly number[], c: PeriodDetectionConfig): { periods: DetectedPeriod[]; z: number } {
  const clipped = winsorize(xs);
  const half = Math.floor(xs.length / 2);
  const full = autocorrelationWithPairs(clipped, half + Math.max(2, Math.round(half * 0.1)));
  let maxLag = Math.min(c.maxPeriod ?? Number.POSITIVE_INFINITY, half);
  while (maxLag > 0 && (full.pairs[maxLag] as number) < maxLag) maxLag--;
  if (maxLag < c.minPeriod) return { periods: [], z: 0 };
  const acf = full.acf.slice(0, maxLag + Math.max(2, Math.round(maxLag * 0.1)) + 1);
  const cands = peaks(acf, c.minPeriod, maxLag, c.minStrength);
  if (cands.length === 0) return { periods: [], z: 0 };
  const topLag = cands.reduce((a, b) => ((acf[b] as number) > (acf[a] as number) ? b : a));
  const top = acf[topLag] as number;
  // The fundamental: the shortest strong peak of which the strongest is a multiple (a weekly peak over daily ones).
  const divides = (k: number) => Math.abs(topLag / k - Math.round(topLag / k)) * k <= Math.max(2, 0.03 * topLag);
  const p1 = snap(refineByFolding(clipped, vertex(acf, cands.find((k) => (acf[k] as number) >= 0.5 * top && divides(k)) ?? topLag)), c.roundPeriods);
  const out: DetectedPeriod[] = [{ steps: p1, strength: acf[p1] as number }];
  const z = bartlettZ(acf, full.pairs, p1);
  // Longer cycles are looked for in block means of about 1/24 of the fundamental (hourly for a daily one): the
  // noise of single steps, which no cycle repeats, averages out, and what is left is the cycles' own difference.
  const b = blockFor(p1);
  const means = blockMeans(clipped, b);
  const bMaxLag = Math.floor(maxLag / b);
  const acfB = autocorrelation(means, bMaxLag + Math.max(2, Math.round(bMaxLag * 0.1)));
  let last = p1;
  while (out.length < c.maxPeriods) {
    const next = longerPeriod(acfB, last / b, bMaxLag, c);
    if (next === undefined) break;
    out.push({ steps: next * b, strength: acf[next * b] as number });
    last = next * b;
  }
  return { periods: out, z };
}
