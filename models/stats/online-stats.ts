/**
 * Online statistics with JSON-serializable state: exponentially weighted mean
 * and variance, and a fixed-size ring of recent values with rolling sums.
 * Non-finite inputs are ignored so they never corrupt the state.
 */

/** Serializable state of an {@link Ewm}. */
export interface EwmState {
  /** Smoothing factor in (0, 1]; the effective memory is about 1/alpha samples. */
  alpha: number;
  /** Weighted mean. */
  mean: number;
  /** Weighted variance. */
  variance: number;
  /** Number of finite samples seen. */
  count: number;
}

/**
 * Exponentially weighted mean and variance. During the first `1/alpha`
 * samples the weight is `1/count`, so early estimates are plain averages.
 */
export class Ewm {
  private readonly s: EwmState;

  /** @param alpha smoothing factor in (0, 1]. */
  constructor(alpha: number, state?: EwmState) {
    this.s = state ? { ...state } : { alpha, mean: 0, variance: 0, count: 0 };
  }

  /** Adds a sample; non-finite values are ignored. */
  push(x: number): void {
    if (!Number.isFinite(x)) return;
    const s = this.s;
    s.count++;
    const a = Math.max(s.alpha, 1 / s.count);
    const d = x - s.mean;
    s.mean += a * d;
    s.variance = (1 - a) * (s.variance + a * d * d);
  }

  /** Current mean (0 before any sample). */
  get mean(): number {
    return this.s.mean;
  }

  /** Current standard deviation. */
  get std(): number {
    return Math.sqrt(this.s.variance);
  }

  /** Number of finite samples seen. */
  get count(): number {
    return this.s.count;
  }

  /** A copy of the state, safe to JSON-serialize. */
  toJSON(): EwmState {
    return { ...this.s };
  }
}

/** Serializable state of a {@link RingBuffer}. */
export interface RingState {
  /** Capacity. */
  size: number;
  /** Values, oldest first. */
  values: number[];
}

/** A bounded FIFO of the most recent finite values with O(1) sum and mean. */
export class RingBuffer {
  private buf: number[];
  private head = 0;
  private len = 0;
  private sum = 0;

  /** @param size capacity in samples (>= 1). */
  constructor(
    readonly size: number,
    state?: RingState,
  ) {
    this.buf = new Array<number>(size).fill(0);
    for (const v of state?.values ?? []) this.push(v);
  }

  /** Appends a value and returns the evicted one, if any. Non-finite values are ignored. */
  push(x: number): number | undefined {
    if (!Number.isFinite(x)) return undefined;
    let evicted: number | undefined;
    if (this.len === this.size) {
      evicted = this.buf[this.head] as number;
      this.sum -= evicted;
    } else this.len++;
    this.buf[this.head] = x;
    this.sum += x;
    this.head = (this.head + 1) % this.size;
    // Re-sum once per lap so floating-point drift of the running sum stays bounded.
    if (this.head === 0) this.sum = this.buf.reduce((a, b) => a + b, 0);
    return evicted;
  }

  /** Number of values held. */
  get length(): number {
    return this.len;
  }

  /** Mean of the held values (0 when empty). */
  get mean(): number {
    return this.len === 0 ? 0 : this.sum / this.len;
  }

  /** The `k`-th most recent value (0 = newest), or undefined. */
  recent(k: number): number | undefined {
    if (k >= this.len) return undefined;
    return this.buf[(this.head - 1 - k + 2 * this.size) % this.size];
  }

  /** Values oldest first. */
  values(): number[] {
    const out: number[] = [];
    for (let k = this.len - 1; k >= 0; k--) out.push(this.recent(k) as number);
    return out;
  }

  /** A copy of the state, safe to JSON-serialize. */
  toJSON(): RingState {
    return { size: this.size, values: this.values() };
  }
}
