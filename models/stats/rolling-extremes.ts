/**
 * Minimum and maximum over a sliding window of the most recent values, kept
 * as two monotonic queues of (row, value): amortized O(1) per push, and
 * usually far fewer entries than the window (only values not yet dominated
 * by a later one stay).
 *
 * Pure code; state is JSON.
 */

/** Serializable state of a {@link RollingExtremes}. */
export interface RollingExtremesState {
  /** Window length in values. */
  size: number;
  /** Values pushed so far. */
  count: number;
  /** Candidates for the maximum: [push index, value], values decreasing. */
  maxQueue: [number, number][];
  /** Candidates for the minimum: [push index, value], values increasing. */
  minQueue: [number, number][];
}

/** Sliding-window minimum and maximum; see the module comment. */
export class RollingExtremes {
  private readonly s: RollingExtremesState;

  /**
   * @param size window length in values (at least 1).
   * @param state a state from {@link toJSON} to continue from (its size wins).
   */
  constructor(size: number, state?: RollingExtremesState) {
    this.s = state
      ? { ...state, maxQueue: state.maxQueue.map(([i, v]) => [i, v]), minQueue: state.minQueue.map(([i, v]) => [i, v]) }
      : { size: Math.max(1, Math.floor(size)), count: 0, maxQueue: [], minQueue: [] };
  }

  /** Adds a finite value (non-finite values are ignored), forgetting values older than the window. */
  push(x: number): void {
    if (!Number.isFinite(x)) return;
    const s = this.s;
    const i = s.count++;
    const { maxQueue: hi, minQueue: lo } = s;
    while (hi.length > 0 && (hi[hi.length - 1] as [number, number])[1] <= x) hi.pop();
    while (lo.length > 0 && (lo[lo.length - 1] as [number, number])[1] >= x) lo.pop();
    hi.push([i, x]);
    lo.push([i, x]);
    const oldest = i - s.size + 1;
    while ((hi[0] as [number, number])[0] < oldest) hi.shift();
    while ((lo[0] as [number, number])[0] < oldest) lo.shift();
  }

  /** Largest value in the window; NaN when empty. */
  get max(): number {
    return this.s.maxQueue[0]?.[1] ?? Number.NaN;
  }

  /** Smallest value in the window; NaN when empty. */
  get min(): number {
    return this.s.minQueue[0]?.[1] ?? Number.NaN;
  }

  /** A copy of the state, safe to JSON-serialize. */
  toJSON(): RollingExtremesState {
    const s = this.s;
    return { size: s.size, count: s.count, maxQueue: s.maxQueue.map(([i, v]) => [i, v]), minQueue: s.minQueue.map(([i, v]) => [i, v]) };
  }
}
