/**
 * Level-shift statistic: how far the median of the last few rows sits from
 * a reference level, in units of the larger of the series' usual noise and
 * the spread within those rows. A shift to a new, steady level scores high
 * for as long as it lasts; a burst of scattered values does not, because its
 * own spread dilutes it. That separates plateaus (a road jam, a dead feed)
 * from spikes, which the extreme-value features already catch.
 */
import { RingBuffer, type RingState } from '../stats/index.ts';

/** Serializable state of a {@link LevelShift}: the recent rows, oldest first. */
export type LevelShiftState = RingState;

/** Rolling level-shift statistic over the last `rows` values. */
export class LevelShift {
  private readonly recent: RingBuffer;

  /** @param rows rows in the recent block (>= 2). */
  constructor(rows: number, state?: LevelShiftState) {
    this.recent = new RingBuffer(Math.max(2, Math.floor(rows)), state);
  }

  /** Adds a finite value (non-finite values are ignored). */
  push(x: number): void {
    this.recent.push(x);
  }

  /**
   * |median(recent) - level| / max(noise, spread of the recent rows), where the
   * spread is their interquartile range / 1.349; 0 until the block is full.
   *
   * @param level reference level (e.g. the long-window median).
   * @param noise usual noise scale of the series, > 0.
   */
  shift(level: number, noise: number): number {
    const n = this.recent.length;
    if (n < this.recent.size || !Number.isFinite(level)) return 0;
    const v = this.recent.values().sort((a, b) => a - b);
    const median = quantile(v, 0.5);
    const spread = (quantile(v, 0.75) - quantile(v, 0.25)) / 1.349;
    return Math.abs(median - level) / Math.max(noise, spread);
  }

  /** A copy of the state, safe to JSON-serialize. */
  toJSON(): LevelShiftState {
    return this.recent.toJSON();
  }
}

/** Linearly interpolated q-quantile of an ascending, non-empty array. */
function quantile(sorted: readonly number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] as number;
  return a + (b - a) * (pos - lo);
}
