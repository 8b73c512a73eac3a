/**
 * Tail probability of a surprise under its own recent history, after extreme
 * value theory (peaks over threshold, as in SPOT, Siffer et al. 2017): below
 * the history's upper `tailShare` quantile `u` the probability is the
 * empirical share of the history at or above the value; beyond `u` the
 * excesses are modelled as exponential with the mean excess of the history's
 * top share, p(x) = tailShare * exp(-(x - u) / meanExcess). Unlike a Gaussian
 * fit, it follows heavy-tailed surprises (bursty counts) without paging on
 * every burst, and it extrapolates beyond the largest value seen.
 */
import type { RingState } from '../stats/index.ts';
import { RollingQuantile } from '../stats/index.ts';

/** Rolling peaks-over-threshold tail model of a stream of surprises. */
export class EvtTail {
  private readonly hist: RollingQuantile;

  /**
   * @param history rows of history.
   * @param tailShare share of the history in the modelled tail (e.g. 0.05).
   * @param minHistory rows needed before a probability is given (until then 1).
   */
  constructor(
    history: number,
    private readonly tailShare: number,
    private readonly minHistory: number,
    state?: RingState,
  ) {
    this.hist = new RollingQuantile(history, state);
  }

  /** -log10 of the tail probability of `x` under the history so far (0 while it is short). */
  decades(x: number): number {
    const n = this.hist.length;
    if (n < this.minHistory) return 0;
    const q = 1 - this.tailShare;
    const u = this.hist.quantile(q);
    if (x <= u) {
      const [below] = this.hist.counts(x);
      return -Math.log10(Math.max((n - below) / n, 1 / n));
    }
    // The tail's share is what lies above u (less than tailShare when many values tie at u, as a usually-zero surprise does).
    const above = Math.max(n - this.hist.counts(u)[1], 1) / n;
    const excess = this.meanExcess(u);
    return -Math.log10(above) + (x - u) / (Math.max(excess, 1e-9) * Math.LN10);
  }

  /** Mean of the history's excesses over `u` (its values above `u`). */
  private meanExcess(u: number): number {
    const n = this.hist.length;
    let sum = 0;
    let count = 0;
    for (let k = Math.floor((1 - this.tailShare) * (n - 1)); k < n; k++) {
      const v = this.hist.quantile(k / (n - 1));
      if (v > u) {
        sum += v - u;
        count++;
      }
    }
    return count === 0 ? 0 : sum / count;
  }

  /** Adds a surprise to the history. */
  push(x: number): void {
    this.hist.push(x);
  }

  /** The history, safe to JSON-serialize. */
  toJSON(): RingState {
    return this.hist.toJSON();
  }
}
