/**
 * The online seasonal baseline of one feature, the one seasonal model of
 * zeroops: per time-of-period slots (e.g. 48 half-hour slots of a day) learn
 * the usual value of each slot with an exponentially weighted mean, and a
 * level term follows the recent offset from those slot means so that level
 * shifts are absorbed within a few hours instead of a few periods. The
 * expected value is `slot mean + level`; a residual scale (mean absolute
 * deviation from the expectation) says how far values usually stray.
 *
 * A baseline is a block of plain numbers: level mean and count, scale mean
 * and count ({@link SEASONAL_HEADER} numbers), then per slot its mean and
 * count (count 0: the slot has not been seen). {@link SeasonalSlots} works on
 * blocks inside a caller-owned `Float64Array`, so that a detector tracking
 * many services x features keeps them in one typed array and allocates
 * nothing per update (the fleet's seasonal scorer); {@link SeasonalBaseline}
 * is one block with its own array (the univariate detector).
 */

/** Settings of a seasonal baseline. */
export interface SeasonalConfig {
  /** Period length in ms. Default one day. */
  periodMs: number;
  /** Buckets (slots) per period. Default 48. */
  buckets: number;
  /** Weight of a new sample in its bucket's mean. Default 0.1. */
  bucketAlpha: number;
  /** Weight of a new residual in the level offset (0 disables level tracking). Default 0.02. */
  levelAlpha: number;
  /** Weight of a new absolute residual in the residual scale. Default 0.01. */
  scaleAlpha: number;
}

/** Default seasonal settings: daily, 48 buckets. */
export const DEFAULT_SEASONAL: SeasonalConfig = { periodMs: 86_400_000, buckets: 48, bucketAlpha: 0.1, levelAlpha: 0.02, scaleAlpha: 0.01 };

const LEVEL = 0;
const SCALE = 2;
const SLOTS = 4;
/** Numbers of a block's header (level mean and count, scale mean and count); its slots follow, two numbers each. */
export const SEASONAL_HEADER = SLOTS;

/**
 * One exponentially weighted mean update of the mean at `i` and the count at
 * `i + 1`: the weight is `max(alpha, 1 / count)`, so early estimates are plain
 * averages.
 */
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
  /** Numbers one block occupies: `SEASONAL_HEADER + 2 * buckets`. */
  readonly blockSize: number;

  constructor(config: Partial<SeasonalConfig> = {}) {
    this.cfg = { ...DEFAULT_SEASONAL, ...config };
    this.blockSize = SLOTS + 2 * this.cfg.buckets;
  }

  /** The last timestamp {@link SeasonalSlots.bucketOf} was asked about and its slot (a round asks about one time for every block). */
  private lastMs = Number.NaN;
  private lastBucket = 0;

  /** Slot index of a timestamp (ms since epoch, UTC). */
  bucketOf(timestampMs: number): number {
    if (timestampMs === this.lastMs) return this.lastBucket;
    const p = this.cfg.periodMs;
    const phase = ((timestampMs % p) + p) % p;
    const bucket = Math.floor((phase / p) * this.cfg.buckets);
    this.lastMs = timestampMs;
    this.lastBucket = bucket;
    return bucket;
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
   * ({@link SEASONAL_HEADER} numbers) at `head` and the current slot's mean
   * and count at `slot`. A caller may so keep the slots of many blocks for
   * the same bucket side by side.
   */
  expectedAt(buf: Float64Array, head: number, slot: number): number {
    // A count of 0 is a slot never seen; below 0, one its owner holds provisional (the fleet's seasonal scorer).
    if (!((buf[slot + 1] as number) > 0)) return Number.NaN;
    return (buf[slot] as number) + (this.cfg.levelAlpha > 0 ? (buf[head + LEVEL] as number) : 0);
  }

  /** Typical absolute residual (mean absolute deviation, >= 0) of the block at `offset`. */
  scale(buf: Float64Array, offset: number): number {
    return buf[offset + SCALE] as number;
  }

  /**
   * Whether the residual scale of the block at `offset` has settled: it has
   * averaged at least `1 / scaleAlpha` residuals, the count from which its
   * weight is the exponential one rather than a plain average of the few
   * residuals seen so far (100 at the default `scaleAlpha`).
   */
  scaleSettled(buf: Float64Array, offset: number): boolean {
    return (buf[offset + SCALE + 1] as number) * this.cfg.scaleAlpha >= 1;
  }

  /** Forgets the residual scale of the block at `offset` (it is learned again from the next residual). */
  clearScale(buf: Float64Array, offset: number): void {
    buf[offset + SCALE] = 0;
    buf[offset + SCALE + 1] = 0;
  }

  /** Learns one observation into the block at `offset`; non-finite values and times are ignored. */
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

  /**
   * As {@link SeasonalSlots.learnAt}, for an observation from the past
   * (learned late, e.g. once people said it was normal): it teaches its slot
   * and the scale, but not the level, which follows the present.
   */
  learnPastAt(buf: Float64Array, head: number, slot: number, value: number): void {
    if (!Number.isFinite(value)) return;
    const c = this.cfg;
    const expected = this.expectedAt(buf, head, slot);
    const seen = Number.isFinite(expected);
    if (seen) ewmPush(buf, head + SCALE, c.scaleAlpha, Math.abs(value - expected));
    ewmPush(buf, slot, c.bucketAlpha, value - (c.levelAlpha > 0 && seen ? (buf[head + LEVEL] as number) : 0));
  }
}

/** Serializable state of a {@link SeasonalBaseline}: its settings and its block (see the module comment). */
export interface SeasonalState {
  config: SeasonalConfig;
  block: number[];
}

/** The state a {@link SeasonalBaseline} saved before it became one block: one weighted mean object per slot, level and scale. */
export interface LegacySeasonalState {
  config: SeasonalConfig;
  buckets: ({ mean: number; count: number } | null)[];
  level: { mean: number; count: number };
  scale: { mean: number; count: number };
}

/** Expectation for one observation. */
export interface SeasonalExpectation {
  /** Expected value, or NaN while the slot has not been seen yet. */
  expected: number;
  /** Typical absolute residual (mean absolute deviation), >= 0. */
  scale: number;
}

function blockOf(slots: SeasonalSlots, state: SeasonalState | LegacySeasonalState | undefined): Float64Array {
  const block = new Float64Array(slots.blockSize);
  if (!state) return block;
  if ('block' in state) {
    block.set(state.block.slice(0, slots.blockSize));
    return block;
  }
  block.set([state.level.mean, state.level.count, state.scale.mean, state.scale.count]);
  state.buckets.forEach((b, k) => {
    if (b && k < slots.cfg.buckets) block.set([b.mean, b.count], SLOTS + 2 * k);
  });
  return block;
}

/** One seasonal baseline with its own block; see the module comment. */
export class SeasonalBaseline {
  private readonly slots: SeasonalSlots;
  private readonly block: Float64Array;

  /** `state` (either form) wins over `config` when given. */
  constructor(config: Partial<SeasonalConfig> = {}, state?: SeasonalState | LegacySeasonalState) {
    this.slots = new SeasonalSlots(state?.config ?? config);
    this.block = blockOf(this.slots, state);
  }

  /** Slot index of a timestamp (ms since epoch, UTC). */
  bucketOf(timestampMs: number): number {
    return this.slots.bucketOf(timestampMs);
  }

  /** The expectation for a value at `timestampMs`, before learning it. */
  expect(timestampMs: number): SeasonalExpectation {
    return { expected: this.slots.expected(this.block, 0, timestampMs), scale: this.slots.scale(this.block, 0) };
  }

  /** Learns one observation; non-finite values are ignored. */
  learn(timestampMs: number, value: number): void {
    this.slots.learn(this.block, 0, timestampMs, value);
  }

  /** A copy of the state, safe to JSON-serialize. */
  toJSON(): SeasonalState {
    return { config: { ...this.slots.cfg }, block: Array.from(this.block) };
  }
}
