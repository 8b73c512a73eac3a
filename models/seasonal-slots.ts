/**
 * Compact seasonal baselines: the same model as {@link SeasonalBaseline}
 * (per-slot exponentially weighted means plus a level that follows the
 * offset from them, and a residual scale), stored as plain numbers in a
 * caller-owned `Float64Array` instead of one object per slot. A detector
 * tracking many services x features x slots keeps each service's baselines
 * in one typed array: no per-slot objects, nothing allocated per update.
 *
 * Block layout (`blockSize` numbers from `offset`): level mean, level count,
 * scale mean, scale count, then per slot its mean and count (count 0 = the
 * slot has not been seen).
 *
 * Only the means the model reads are kept: the weighted variances that
 * {@link SeasonalBaseline} also carries for slots, level and scale are never
 * used by its expectation, so a block holds `4 + 2 * buckets` numbers.
 */
import { DEFAULT_SEASONAL, type SeasonalConfig } from './seasonal-baseline.ts';

const LEVEL = 0;
const SCALE = 2;
const SLOTS = 4;
/** Numbers of a block's header (level mean and count, scale mean and count); its slots follow, two numbers each. */
export const SEASONAL_HEADER = SLOTS;

/** One exponentially weighted mean update at `i` (mean) / `i + 1` (count), as {@link Ewm.push}. */
function ewmPush(buf: Float64Array, i: number, alpha: number, x: number): void {
  const count = (buf[i + 1] as number) + 1;
  buf[i + 1] = count;
  const a = Math.max(alpha, 1 / count);
  buf[i] = (buf[i] as number) + a * (x - (buf[i] as number));
}

/** Seasonal baseline operations over blocks of a `Float64Array`; one instance per configuration, shared by all blocks. */
export class SeasonalSlots {
  /** The configuration (defaults filled in). */
  readonly cfg: SeasonalConfig;
  /** Numbers one block occupies. */
  readonly blockSize: number;

  constructor(config: Partial<SeasonalConfig> = {}) {
    this.cfg = { ...DEFAULT_SEASONAL, ...config };
    this.blockSize = SLOTS + 2 * this.cfg.buckets;
  }

  /** Slot index of a timestamp (ms since epoch, UTC). */
  bucketOf(timestampMs: number): number {
    const p = this.cfg.periodMs;
    const phase = ((timestampMs % p) + p) % p;
    return Math.floor((phase / p) * this.cfg.buckets);
  }

  /** Expected value at `timestampMs` of the block at `offset`, or NaN while its slot is unseen. */
  expected(buf: Float64Array, offset: number, timestampMs: number): number {
    return this.expectedIn(buf, offset, this.bucketOf(timestampMs));
  }

  /** As {@link SeasonalSlots.expected}, for a slot index from {@link SeasonalSlots.bucketOf} (one per timestamp, shared by all blocks). */
  expectedIn(buf: Float64Array, offset: number, bucket: number): number {
    return this.expectedAt(buf, offset, offset + SLOTS + 2 * bucket);
  }

  /**
   * As {@link SeasonalSlots.expected}, for a block stored apart: its header
   * (level and scale, {@link SEASONAL_HEADER} numbers) at `head` and the
   * current slot's mean and count at `slot`. A caller may so keep the slots
   * of many blocks for the same bucket side by side.
   */
  expectedAt(buf: Float64Array, head: number, slot: number): number {
    if (buf[slot + 1] === 0) return Number.NaN;
    return (buf[slot] as number) + (this.cfg.levelAlpha > 0 ? (buf[head + LEVEL] as number) : 0);
  }

  /** Typical absolute residual (mean absolute deviation, >= 0) of the block at `offset`. */
  scale(buf: Float64Array, offset: number): number {
    return buf[offset + SCALE] as number;
  }

  /** Learns one observation into the block at `offset`; non-finite values are ignored. */
  learn(buf: Float64Array, offset: number, timestampMs: number, value: number): void {
    if (!Number.isFinite(timestampMs)) return;
    this.learnIn(buf, offset, this.bucketOf(timestampMs), value);
  }

  /** As {@link SeasonalSlots.learn}, for a slot index from {@link SeasonalSlots.bucketOf}. */
  learnIn(buf: Float64Array, offset: number, bucket: number, value: number): void {
    this.learnAt(buf, offset, offset + SLOTS + 2 * bucket, value);
  }

  /** As {@link SeasonalSlots.learn}, for a block stored apart (see {@link SeasonalSlots.expectedAt}). */
  learnAt(buf: Float64Array, head: number, slot: number, value: number): void {
    if (!Number.isFinite(value)) return;
    const c = this.cfg;
    const expected = this.expectedAt(buf, head, slot);
    const seen = Number.isFinite(expected);
    if (seen) {
      ewmPush(buf, head + SCALE, c.scaleAlpha, Math.abs(value - expected));
      ewmPush(buf, head + LEVEL, c.levelAlpha, value - (buf[slot] as number));
    }
    // Slots learn the value net of the current level so that level and season stay separate.
    ewmPush(buf, slot, c.bucketAlpha, value - (c.levelAlpha > 0 && seen ? (buf[head + LEVEL] as number) : 0));
  }
}
