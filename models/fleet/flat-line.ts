/**
 * Flat-lining (loss of variation) of a service's features: the same value
 * window after window from a feature whose own history says it seldom
 * repeats (a gauge whose exporter froze at its last reading, a sensor stuck
 * at its usual mean). The seasonal baselines score the distance from the
 * expected value, so a value stuck near its usual mean is never far from
 * it; this judges the run of repeats instead.
 *
 * Each feature learns, over the same memory as its tail calibration
 * (`TAIL_WINDOWS` windows, exponentially decayed), how often a window
 * repeats the one before exactly (`p`) and how often a repeat follows a
 * repeat (`q`): a two-state Markov chain of "changed" and "repeated". A
 * current run of `L` repeats (`L + 1` equal values) then has probability
 * `p * q^(L-1)` of being seen at a given window. `p` starts from the
 * Krichevsky-Trofimov estimate (half a repeat in one window) and `q` from
 * `p` (one window's weight: repeats independent until the feature shows
 * otherwise). So a feature that never repeated in 2,000 windows makes each
 * repeat a 1-in-4,000 event. Only features whose repeats are rare ({@link RARE},
 * about one window in 370) are judged: a constant feature, an integer gauge
 * or a quantized one repeat by habit, and their run lengths are heavy-tailed
 * (a metric that sits still for an hour now and then), which the chain would
 * take for news. The smallest such probability of the
 * window's features, times the number of features judged (Bonferroni),
 * is mapped to the Gaussian deviation of the same two-sided probability,
 * as the seasonal features' deviations are, and scored like them.
 *
 * What is not a flat line: two equal values (a coincidence of resolution:
 * a line needs at least {@link MIN_RUN} repeats, three equal values), a
 * value of exactly 0 (an idle counter, a queue that is empty: nothing
 * happening is judged by the level, not as a frozen reading; zeros neither
 * score nor teach), a feature whose repeats are its habit (above). The caller learns the windows its baselines learn, never those
 * of an open episode: a feature stuck for a whole fault does not teach
 * itself that repeats are normal, until the episode is accepted as the new
 * normal (then its repeats are learned, `p` and `q` near 1, and the episode
 * closes).
 */
import { normalTail } from '../likelihood/index.ts';
import { type FeatureRows, singleRow } from './feature-rows.ts';
import type { Evidence } from './outputs.ts';
import { deviationOfLogTail } from './service-combination.ts';
import { TAIL_WINDOWS } from './tail-calibration.ts';

/** Repeats in a row (equal values after the first) before a run may count as a flat line: three equal values. */
export const MIN_RUN = 2;
/**
 * Repeat rate (per window) below which a feature's runs are judged: the
 * two-sided tail of a 3-spread deviation (about 1 in 370 windows), the rate
 * at which an episode opens and above which a deviation is routine in the
 * tail calibration. A feature that repeats more often than that (a quantized
 * or integer gauge, a metric exported less often than the windows close) has
 * repeats for a habit: its flat lines are not judged. With the estimate's
 * prior (half a repeat), a feature needs about 185 windows without a repeat
 * to qualify.
 */
export const RARE = 2 * normalTail(3);
/** Suffix of the evidence feature of a flat line: `metric:temperature:variance_collapsed`. */
export const FLAT_SUFFIX = ':variance_collapsed';
/** Decay of the counts per learned window: time scale {@link TAIL_WINDOWS}. */
const KEEP = 1 - 1 / TAIL_WINDOWS;
/** Numbers per feature: last value, current run of repeats, then decayed counts: windows, repeats, windows after a repeat, repeats after a repeat. */
const STRIDE = 6;
const LAST = 0;
const RUN = 1;
const N = 2;
const R = 3;
const N1 = 4;
const R1 = 5;

/** The flat-line model's parameters as plain data (versioned with the baselines, see baseline-params.ts). */
export function flatLineParameters(): Record<string, number> {
  return { minRun: MIN_RUN, rare: RARE, windows: TAIL_WINDOWS };
}

/** Serializable state of a {@link FlatLine}. */
export interface FlatLineState {
  /** Feature names, in order of first appearance. */
  features: string[];
  /** Per feature (in `features` order) {@link STRIDE} numbers: last value, run, and the decayed counts. */
  data: number[];
}

/** The flat line of a scored window (see {@link FlatLine.score}). */
export interface FlatVerdict {
  /** Natural log of the probability of the least likely run, Bonferroni-corrected over the features judged (0: no run). */
  lnP: number;
  /** Two-sided Gaussian deviation of that probability (0: none). */
  deviation: number;
  /** The feature whose run it is (undefined: none). */
  feature: string | undefined;
  /** Its value (repeated). */
  value: number;
  /** Repeats in a row of that feature, this window included. */
  run: number;
}

/**
 * The counts of `features` features and their pending flags (all NaN), in
 * one buffer: one allocation, adjacent in memory (a window touches both).
 */
function buffers(features: number): [Float64Array, Float64Array] {
  const buf = new Float64Array(features * (STRIDE + 2));
  return [buf.subarray(0, features * STRIDE), buf.subarray(features * STRIDE).fill(Number.NaN)];
}

/** Per-feature runs of repeats of one service; see the module comment. */
export class FlatLine {
  private readonly names: string[];
  private data: Float64Array;
  /** Per feature, whether the last scored window repeated (1), changed (0) or is not to be learned (NaN), and whether the one before had repeated. */
  private pending: Float64Array;
  private readonly verdict: FlatVerdict = { lnP: 0, deviation: 0, feature: undefined, value: 0, run: 0 };

  constructor(
    private readonly maxFeatures: number,
    state?: FlatLineState,
  ) {
    this.names = [...(state?.features ?? [])].slice(0, maxFeatures);
    [this.data, this.pending] = buffers(Math.max(4, this.names.length));
    if (state) this.data.set(state.data.slice(0, this.names.length * STRIDE));
  }

  private indexOf(feature: string, hint: number): number {
    if (this.names[hint] === feature) return hint;
    const i = this.names.indexOf(feature);
    if (i >= 0 || this.names.length >= this.maxFeatures) return i;
    if ((this.names.length + 1) * STRIDE > this.data.length) {
      const [data, pending] = buffers(Math.min(this.maxFeatures, this.names.length + 4));
      data.set(this.data);
      this.data = data;
      pending.set(this.pending);
      this.pending = pending;
    }
    this.names.push(feature);
    this.data[(this.names.length - 1) * STRIDE + LAST] = Number.NaN;
    return this.names.length - 1;
  }

  /**
   * Scores the runs of `features` (the window after the last one scored)
   * and advances them; learns nothing ({@link FlatLine.learn} does). The
   * returned verdict is the same object each call.
   */
  score(features: Readonly<Record<string, number>>): Readonly<FlatVerdict> {
    return this.scoreRow(singleRow(features), 0);
  }

  /** {@link FlatLine.score} of row `r` of `rows` (the window's features read once, see feature-rows.ts). */
  scoreRow(rows: FeatureRows, r: number): Readonly<FlatVerdict> {
    const v = this.verdict;
    v.lnP = 0;
    v.deviation = 0;
    v.feature = undefined;
    v.run = 0;
    // A feature absent from this window teaches nothing of it (a loop: cheaper than a fill call for a few dozen numbers).
    const pending = this.pending;
    for (let i = 0; i < 2 * this.names.length; i++) pending[i] = Number.NaN;
    let judged = 0;
    let hint = 0;
    const names = rows.names;
    const values = rows.values;
    for (let k = rows.from(r), end = rows.to(r); k < end; k++) {
      const feature = names[k] as string;
      const x = values[k] as number;
      const i = this.indexOf(feature, hint++);
      if (i < 0 || !Number.isFinite(x)) continue;
      // Read afresh: a feature first seen in this window may have grown the counts (indexOf). Reading the array from
      // before the loop lost the first window's values of the features past the first four (it read past the old
      // array's end and wrote into it), and that one read past the end made every later read of the counts, in every
      // window, allocate a heap number (about 400 bytes of garbage a window, and four times the time of the pass).
      const d = this.data;
      const o = i * STRIDE;
      const repeat = x === d[o + LAST];
      const run = repeat ? (d[o + RUN] as number) + 1 : 0;
      // Zeros (idle) are not readings that froze: they neither score nor teach.
      this.pending[2 * i] = x === 0 ? Number.NaN : repeat ? 1 : 0;
      this.pending[2 * i + 1] = (d[o + RUN] as number) > 0 ? 1 : 0;
      d[o + LAST] = x;
      d[o + RUN] = run;
      if (x === 0) continue;
      const p = ((d[o + R] as number) + 0.5) / ((d[o + N] as number) + 1);
      // Only a feature whose repeats are rarer than an excursion that opens an episode: a flat line is news only there.
      if (p >= RARE) continue;
      judged++;
      if (run < MIN_RUN) continue;
      const q = ((d[o + R1] as number) + p) / ((d[o + N1] as number) + 1);
      const lnP = Math.log(p) + (run - 1) * Math.log(q);
      if (lnP < v.lnP) {
        v.lnP = lnP;
        v.feature = feature;
        v.value = x;
        v.run = run;
      }
    }
    if (v.feature === undefined) return v;
    v.lnP = v.lnP + Math.log(judged);
    // A run at least as likely as not is no surprise at all (a constant feature's runs are all but certain).
    if (v.lnP >= -Math.LN2) {
      v.lnP = 0;
      v.feature = undefined;
      return v;
    }
    v.deviation = deviationOfLogTail(v.lnP - Math.LN2);
    return v;
  }

  /** Teaches each feature whether the last scored window repeated the one before (the caller's learned windows only). */
  learn(): void {
    const d = this.data;
    for (let i = 0; i < this.names.length; i++) {
      const rep = this.pending[2 * i] as number;
      if (Number.isNaN(rep)) continue;
      const o = i * STRIDE;
      d[o + N] = (d[o + N] as number) * KEEP + 1;
      d[o + R] = (d[o + R] as number) * KEEP + rep;
      if (this.pending[2 * i + 1] === 1) {
        d[o + N1] = (d[o + N1] as number) * KEEP + 1;
        d[o + R1] = (d[o + R1] as number) * KEEP + rep;
      }
    }
  }

  /** A copy of the state, safe to JSON-serialize (a last value never seen is stored as null). */
  toJSON(): FlatLineState {
    return { features: [...this.names], data: Array.from(this.data.subarray(0, this.names.length * STRIDE)) };
  }
}

/**
 * The evidence of a flat line (`verdict` with a feature): the feature named
 * with {@link FLAT_SUFFIX}, the repeated value as observed, `expected` (what
 * the baselines expected of the feature) and the run's deviation.
 */
export function flatEvidence(verdict: Readonly<FlatVerdict>, expected: number): Evidence {
  return { feature: `${verdict.feature}${FLAT_SUFFIX}`, observed: verdict.value, expected, deviation: verdict.deviation };
}
