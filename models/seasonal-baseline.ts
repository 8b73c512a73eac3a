/**
 * Online seasonal baseline of one feature: per time-of-period buckets (e.g.
 * 48 half-hour slots of a day) learn the usual value of each slot with an
 * exponentially weighted mean, and a level term follows the recent offset
 * from those slot means so that level shifts are absorbed within a few hours
 * instead of a few periods. The expected value is `slot mean + level`.
 */
import { Ewm, type EwmState } from './online-stats.ts';

/** Settings of a {@link SeasonalBaseline}. */
export interface SeasonalConfig {
  /** Period length in ms. Default one day. */
  periodMs: number;
  /** Buckets per period. Default 48. */
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

/** Serializable state of a {@link SeasonalBaseline}. */
export interface SeasonalState {
  config: SeasonalConfig;
  buckets: (EwmState | null)[];
  level: EwmState;
  scale: EwmState;
}

/** Expectation for one observation. */
export interface SeasonalExpectation {
  /** Expected value, or NaN while the slot has not been seen yet. */
  expected: number;
  /** Typical absolute residual (mean absolute deviation), >= 0. */
  scale: number;
}

/** Online seasonal baseline; see the module comment. */
export class SeasonalBaseline {
  private readonly cfg: SeasonalConfig;
  private readonly buckets: (Ewm | null)[];
  private readonly level: Ewm;
  private readonly scale: Ewm;

  constructor(config: Partial<SeasonalConfig> = {}, state?: SeasonalState) {
    this.cfg = { ...DEFAULT_SEASONAL, ...(state?.config ?? config) };
    this.buckets = state ? state.buckets.map((b) => (b ? new Ewm(b.alpha, b) : null)) : new Array(this.cfg.buckets).fill(null);
    this.level = new Ewm(this.cfg.levelAlpha, state?.level);
    this.scale = new Ewm(this.cfg.scaleAlpha, state?.scale);
  }

  /** Slot index of a timestamp (ms since epoch, UTC). */
  bucketOf(timestampMs: number): number {
    const phase = ((timestampMs % this.cfg.periodMs) + this.cfg.periodMs) % this.cfg.periodMs;
    return Math.floor((phase / this.cfg.periodMs) * this.cfg.buckets);
  }

  /** The expectation for a value at `timestampMs`, before learning it. */
  expect(timestampMs: number): SeasonalExpectation {
    const b = this.buckets[this.bucketOf(timestampMs)];
    if (!b) return { expected: Number.NaN, scale: this.scale.mean };
    return { expected: b.mean + (this.cfg.levelAlpha > 0 ? this.level.mean : 0), scale: this.scale.mean };
  }

  /** Learns one observation; non-finite values are ignored. */
  learn(timestampMs: number, value: number): void {
    if (!Number.isFinite(value) || !Number.isFinite(timestampMs)) return;
    const { expected } = this.expect(timestampMs);
    const k = this.bucketOf(timestampMs);
    const bucket = this.buckets[k] ?? new Ewm(this.cfg.bucketAlpha);
    this.buckets[k] = bucket;
    if (Number.isFinite(expected)) {
      this.scale.push(Math.abs(value - expected));
      this.level.push(value - bucket.mean);
    }
    // Slots learn the value net of the current level so that level and season stay separate.
    bucket.push(value - (this.cfg.levelAlpha > 0 && Number.isFinite(expected) ? this.level.mean : 0));
  }

  /** A copy of the state, safe to JSON-serialize. */
  toJSON(): SeasonalState {
    return { config: { ...this.cfg }, buckets: this.buckets.map((b) => (b ? b.toJSON() : null)), level: this.level.toJSON(), scale: this.scale.toJSON() };
  }
}
