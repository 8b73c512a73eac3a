/**
 * Quantiles and ranks over a sliding window of the most recent values, kept
 * as a ring (for eviction order) plus a sorted copy (for order statistics).
 * Push is O(window) in the worst case, quantile and rank O(log window).
 */
import { RingBuffer, type RingState } from './online-stats.ts';

/** A sliding window supporting quantiles and empirical ranks. */
export class RollingQuantile {
  private readonly ring: RingBuffer;
  private readonly sorted: number[] = [];

  /** @param size window length in samples. */
  constructor(size: number, state?: RingState) {
    this.ring = new RingBuffer(size);
    for (const v of state?.values ?? []) this.push(v);
  }

  /** Adds a finite value (non-finite values are ignored), evicting the oldest when full. */
  push(x: number): void {
    if (!Number.isFinite(x)) return;
    const evicted = this.ring.push(x);
    if (evicted !== undefined) this.sorted.splice(lowerBound(this.sorted, evicted), 1);
    this.sorted.splice(lowerBound(this.sorted, x), 0, x);
  }

  /** Number of values in the window. */
  get length(): number {
    return this.sorted.length;
  }

  /** The q-quantile (0..1) with linear interpolation; NaN when empty. */
  quantile(q: number): number {
    const n = this.sorted.length;
    if (n === 0) return Number.NaN;
    const pos = Math.min(Math.max(q, 0), 1) * (n - 1);
    const lo = Math.floor(pos);
    const a = this.sorted[lo] as number;
    const b = this.sorted[Math.min(lo + 1, n - 1)] as number;
    return a + (b - a) * (pos - lo);
  }

  /** Number of held values strictly below and at most `x`: `[below, atMost]`. */
  counts(x: number): [number, number] {
    return [lowerBound(this.sorted, x), upperBound(this.sorted, x)];
  }

  /** The state (window values, oldest first), safe to JSON-serialize. */
  toJSON(): RingState {
    return this.ring.toJSON();
  }
}

function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
