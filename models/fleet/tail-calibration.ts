/**
 * Per-feature calibration of deviations by their own history: a deviation
 * is only as surprising as the feature's past says. Each feature keeps an
 * exponentially decayed histogram of its past deviations (in spreads of its
 * baseline, log-spaced bins from 1 to ~170, time scale `TAIL_WINDOWS`
 * windows; the last bin holds everything beyond). A new deviation z is judged by its tail frequency among them,
 * counting recurrences rather than occurrences (the first excursion that
 * far, such as the last occurrence of a fault, was a novelty and proves no
 * routine), blended with the Gaussian tail as a prior worth `PRIOR_WINDOWS` windows,
 * and mapped back to the Gaussian deviation of that frequency; it is never
 * raised above z. A feature that never moved that far keeps its full score.
 * Its frequency is a rate over the whole memory (`TAIL_WINDOWS`, even while
 * less history has been seen), so a deviation becomes routine only when it
 * recurs more often than a 3-spread Gaussian excursion would (about once in
 * 370 windows), the level at which an episode opens. The caller teaches it
 * windows outside any episode, and the window that opened an episode only
 * once that episode has closed as a blip (seasonal-scorer.ts); never a
 * window of a longer episode, so neither a sustained fault nor a fault that
 * keeps returning calibrates itself away.
 */
import { normalTail, normalTailDecades } from '../likelihood/index.ts';

/** Bins of the deviation histogram: bin k holds deviations in [RATIO^k, RATIO^(k+1)). */
export const TAIL_BINS = 24;
const RATIO = 1.25;
const LOG_RATIO = Math.log(RATIO);
/** Time scale of the histogram, in windows. */
export const TAIL_WINDOWS = 2000;
/** Weight of the Gaussian prior, in windows. */
const PRIOR_WINDOWS = 50;
/** Deviations at or below this are not calibrated (they score below 0.35 anyway). */
const CALIBRATE_ABOVE = 2;
const GROWTH = 1 + 1 / TAIL_WINDOWS;
/** Numbers per feature: the bins, then the total weight. */
export const TAIL_STRIDE = TAIL_BINS + 1;

/** The tail calibration's parameters as plain data (versioned by the model registry, see baseline-params.ts). */
export function tailParameters(): Record<string, number> {
  return { bins: TAIL_BINS, ratio: RATIO, windows: TAIL_WINDOWS, priorWindows: PRIOR_WINDOWS, calibrateAbove: CALIBRATE_ABOVE };
}

/** Gaussian deviation whose upper tail is `p` (Abramowitz and Stegun 26.2.23, error < 5e-4). */
function deviationOfTail(p: number): number {
  if (!(p < 0.5)) return 0;
  const t = Math.sqrt(-2 * Math.log(p));
  return t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t);
}

/**
 * The deviation histograms of one service's features (grown as features are
 * added). Laid out for the memory a window touches: the total weights of all
 * features side by side first (every scored feature reads its own each
 * window), then each feature's bins; checkpoints keep the per-feature
 * layout of {@link TAIL_STRIDE} numbers (bins, then total).
 */
export class TailCalibration {
  private data: Float64Array;
  /** Features there is room for: their totals are `data[0 .. room)`, feature `i`'s bins start at `room + i * TAIL_BINS`. */
  private room: number;
  /** Weight of the next window (grows instead of decaying the past; rescaled before it overflows). */
  private g = 1;

  constructor(features: number, saved?: readonly number[]) {
    this.room = features;
    this.data = new Float64Array(features * TAIL_STRIDE);
    if (!saved) return;
    for (let i = 0; i < features; i++) {
      const o = i * TAIL_STRIDE;
      this.data[i] = saved[o + TAIL_BINS] ?? 0;
      for (let b = 0; b < TAIL_BINS; b++) this.data[features + i * TAIL_BINS + b] = saved[o + b] ?? 0;
    }
  }

  /** Makes room for `features` features. */
  grow(features: number): void {
    if (features <= this.room) return;
    const d = new Float64Array(features * TAIL_STRIDE);
    d.set(this.data.subarray(0, this.room));
    d.set(this.data.subarray(this.room), features);
    this.data = d;
    this.room = features;
  }

  /** The calibrated deviation of feature `i` for a deviation `z` (>= 0). */
  calibrate(i: number, z: number): number {
    if (!(z > CALIBRATE_ABOVE)) return z;
    const o = this.room + i * TAIL_BINS;
    const total = (this.data[i] as number) / this.g;
    if (!(total > 0)) return z;
    const x = Math.log(z) / LOG_RATIO;
    const k = Math.floor(x);
    let tail = 0;
    if (k >= TAIL_BINS - 1) {
      // The last bin is open-ended: past deviations beyond its edge are not resolved, so they all count as this far.
      tail = this.data[o + TAIL_BINS - 1] as number;
    } else {
      for (let b = Math.max(k + 1, 0); b < TAIL_BINS; b++) tail += this.data[o + b] as number;
      if (k >= 0) tail += (this.data[o + k] as number) * (1 - (x - k));
    }
    // Recurrences, not occurrences: the first excursion that far was a novelty (the last fault, say), the later ones make it routine.
    const proven = Math.max(0, tail / this.g - 1);
    // A rate over the whole memory: a short history does not make a few recurrences frequent (a new feature's
    // third fault in its first hour is still three faults per TAIL_WINDOWS windows).
    const p = (proven + PRIOR_WINDOWS * 2 * normalTail(z)) / (Math.max(total, TAIL_WINDOWS) + PRIOR_WINDOWS);
    // A tail so thin it underflows is beyond anything the spread allows: the deviation stands.
    return p > 0 ? Math.min(z, deviationOfTail(p / 2)) : z;
  }

  /**
   * The natural log of the same tail frequency as {@link calibrate} uses
   * (recurrences of deviations at least `z` among feature `i`'s past, blended
   * with the Gaussian prior), for any `z` from 1 up (0 below: not a tail),
   * computed in log space so that it stays finite however far `z` is: the
   * surprise of the deviation is its negative. Used to combine a service's
   * features (models/fleet/service-combination.ts).
   */
  logTail(i: number, z: number): number {
    if (!(z >= 1)) return 0;
    const o = this.room + i * TAIL_BINS;
    const total = (this.data[i] as number) / this.g;
    const x = Math.log(z) / LOG_RATIO;
    const k = Math.floor(x);
    let tail = 0;
    if (k >= TAIL_BINS - 1) tail = this.data[o + TAIL_BINS - 1] as number;
    else {
      for (let b = k + 1; b < TAIL_BINS; b++) tail += this.data[o + b] as number;
      tail += (this.data[o + k] as number) * (1 - (x - k));
    }
    const proven = Math.max(0, tail / this.g - 1);
    // The Gaussian tail in decades, once: the prior and the bound below both use it.
    const decades = normalTailDecades(z);
    const lnPrior = Math.log(2 * PRIOR_WINDOWS) - decades * Math.LN10;
    // ln(proven + prior) without the prior underflowing for a far deviation.
    const lnNum = proven > 0 ? Math.log(proven) + Math.log1p(Math.exp(lnPrior - Math.log(proven))) : lnPrior;
    // Never more surprising than the spread alone says (as in `calibrate`): a history that never saw a deviation
    // this far does not make it rarer than its Gaussian two-sided tail (the spread's floor keeps its meaning).
    // A rate over the whole memory, as in `calibrate`: a short history does not make a few recurrences frequent.
    const lnGauss = Math.LN2 - decades * Math.LN10;
    return Math.min(0, Math.max(lnGauss, lnNum - Math.log(Math.max(total, TAIL_WINDOWS) + PRIOR_WINDOWS)));
  }

  /** The natural log of the rarest tail frequency feature `i`'s history can attest: one in its windows (and the prior's). */
  logRarest(i: number): number {
    return -Math.log((this.data[i] as number) / this.g + PRIOR_WINDOWS);
  }

  /** Adds one window's deviation `z` (>= 0) of feature `i`. */
  learn(i: number, z: number): void {
    this.data[i] = (this.data[i] as number) + this.g;
    if (z >= 1) {
      const o = this.room + i * TAIL_BINS;
      const k = Math.min(TAIL_BINS - 1, Math.floor(Math.log(z) / LOG_RATIO));
      this.data[o + k] = (this.data[o + k] as number) + this.g;
    }
  }

  /** Moves to the next window (the past weighs a little less). */
  tick(): void {
    this.g *= GROWTH;
    if (this.g > 1e100) this.rescale();
  }

  private rescale(): void {
    for (let j = 0; j < this.data.length; j++) this.data[j] = (this.data[j] as number) / this.g;
    this.g = 1;
  }

  /** A copy of the histograms with the current weight as 1, `features` features long. */
  toJSON(features: number): number[] {
    this.rescale();
    const n = Math.min(features, this.room);
    const out = new Array<number>(n * TAIL_STRIDE);
    for (let i = 0; i < n; i++) {
      const o = i * TAIL_STRIDE;
      for (let b = 0; b < TAIL_BINS; b++) out[o + b] = this.data[this.room + i * TAIL_BINS + b] as number;
      out[o + TAIL_BINS] = this.data[i] as number;
    }
    return out;
  }
}
