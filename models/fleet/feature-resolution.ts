/**
 * The resolution of each feature of one service: the smallest non-zero step
 * between consecutive learned values. A metric of unknown unit has no
 * meaningful absolute spread floor, and one that was constant through its
 * history has a learned spread of zero, so any first change would count as
 * millions of spreads. Its resolution is the scale it can be read at: a
 * deviation smaller than one step of it cannot be told from the quantization
 * of the metric, so the spread is floored by it. A feature that has never
 * moved has no known resolution yet: its first change is at most one step of
 * it, so it counts as at most one spread (the change is then learned, and
 * fixes the resolution). This uses nothing but the feature's own past.
 *
 * Per feature two numbers: the last learned value and the step, encoded so
 * that the state stays JSON-safe: `NEVER` (no change seen), `UNKNOWN` (restored
 * from a checkpoint without resolutions, for a feature that did vary: no
 * floor until a step is seen) or the step (> 0).
 */

/** Step of a feature that has not changed since it was first learned. */
export const NEVER_MOVED = -1;
const UNKNOWN = 0;
/** Numbers per feature: last learned value, step. */
export const RESOLUTION_STRIDE = 2;

/** The resolutions of one service's features (grown as features are added). */
export class FeatureResolution {
  private data: Float64Array;

  constructor(features: number, saved?: readonly number[]) {
    this.data = new Float64Array(features * RESOLUTION_STRIDE);
    for (let i = 0; i < features; i++) this.data[i * RESOLUTION_STRIDE + 1] = NEVER_MOVED;
    if (saved) this.data.set(saved.slice(0, this.data.length));
  }

  /** Makes room for `features` features (new ones have not moved). */
  grow(features: number): void {
    const old = this.data;
    if (features * RESOLUTION_STRIDE <= old.length) return;
    this.data = new Float64Array(features * RESOLUTION_STRIDE);
    for (let i = old.length / RESOLUTION_STRIDE; i < features; i++) this.data[i * RESOLUTION_STRIDE + 1] = NEVER_MOVED;
    this.data.set(old);
  }

  /** Marks feature `i` as of unknown resolution (restored from an older checkpoint after it varied). */
  forget(i: number): void {
    this.data[i * RESOLUTION_STRIDE + 1] = UNKNOWN;
  }

  /** Learns value `x` of feature `i`; `first` when it is the feature's first learned value. */
  learn(i: number, x: number, first: boolean): void {
    const o = i * RESOLUTION_STRIDE;
    if (!first) {
      const d = Math.abs(x - (this.data[o] as number));
      const step = this.data[o + 1] as number;
      if (d > 0 && (step <= 0 || d < step)) this.data[o + 1] = d;
    }
    this.data[o] = x;
  }

  /** The spread floor of feature `i` for a value `x` against the expectation `exp`. */
  floor(i: number, x: number, exp: number): number {
    const step = this.data[i * RESOLUTION_STRIDE + 1] as number;
    if (step > 0) return step;
    return step === NEVER_MOVED && Number.isFinite(x) ? Math.abs(x - exp) : 0;
  }

  /** A copy of the first `features` features' numbers. */
  toJSON(features: number): number[] {
    return Array.from(this.data.subarray(0, features * RESOLUTION_STRIDE));
  }
}
