/**
 * Streaming univariate anomaly detector built on Adaptive Resonance Theory,
 * in the spirit of NAB's ARTime entry (ideas only): each row, the last
 * `window` values, scaled by a running value range, are summarised as
 * `dims` chunk means and presented to a Fuzzy ART network. After a warm-up,
 * a window that resonates with no learned category (match below the
 * vigilance) founds a new one and is an alarm scored by its mismatch
 * (1 - best match); a hold then keeps the same incident quiet. Windows the
 * network has seen before (repeating patterns, learned noise) never alarm.
 *
 * Pure code: numbers in, numbers out; row i uses rows <= i; state is JSON.
 */
import { FuzzyArt, type FuzzyArtState } from './fuzzy-art.ts';
import { RingBuffer, type RingState } from './online-stats.ts';

/** Settings of an {@link ArtDetector}. */
export interface ArtConfig {
  /** Rows in the sliding window presented to the network. Default 16. */
  window: number;
  /** Chunk means the window is summarised into (input dimension). Default 4. */
  dims: number;
  /** Vigilance: least match for a window to join a category. Default 0.9. */
  vigilance: number;
  /**
   * Vigilance lost per category founded after the warm-up, down to
   * `minVigilance`: a series that keeps producing novel windows (noise)
   * gets coarser categories and so fewer alarms. Default 0.
   */
  vigilanceStep: number;
  /** Floor of the adapted vigilance. Default 0.6. */
  minVigilance: number;
  /** Most categories kept. Default 256. */
  maxCategories: number;
  /** Rows that only learn (score 0) at the start. Default 150. */
  warmupRows: number;
  /**
   * Per-row rate at which the range's bounds relax towards the values seen,
   * so a bygone extreme slowly stops compressing the scale. Default 0.
   */
  rangeDecay: number;
  /** Least rows kept quiet after an alarm (0 disables the hold). Default 50. */
  refractoryRows: number;
  /** Hold as a fraction of the rows seen, when longer than `refractoryRows`. Default 0.02. */
  refractoryFraction: number;
  /** Score at which an alarm is raised and a hold starts. Default 0.01 (every novel window). */
  alarmLevel: number;
  /** Emit 0 for scores below `alarmLevel`. Default true. */
  sparse: boolean;
}

/** Default ART detector settings. */
export const DEFAULT_ART: ArtConfig = {
  window: 16,
  dims: 4,
  vigilance: 0.8,
  vigilanceStep: 0,
  minVigilance: 0.6,
  maxCategories: 256,
  warmupRows: 150,
  rangeDecay: 0,
  refractoryRows: 50,
  refractoryFraction: 0.02,
  alarmLevel: 0.01,
  sparse: true,
};

/** Serializable state of an {@link ArtDetector}. */
export interface ArtDetectorState {
  config: ArtConfig;
  art: FuzzyArtState;
  recent: RingState;
  lo: number;
  hi: number;
  vigilance: number;
  rows: number;
  quiet: number;
}

/** ART-based streaming detector; see the module comment. */
export class ArtDetector {
  private readonly cfg: ArtConfig;
  private readonly art: FuzzyArt;
  private readonly recent: RingBuffer;
  private readonly input: Float64Array;
  private lo: number;
  private hi: number;
  private vigilance: number;
  private rows: number;
  private quiet: number;

  constructor(config: Partial<ArtConfig> = {}, state?: ArtDetectorState) {
    this.cfg = { ...DEFAULT_ART, ...(state ? state.config : config) };
    this.art = new FuzzyArt({ dims: this.cfg.dims, maxCategories: this.cfg.maxCategories }, state?.art);
    this.recent = new RingBuffer(this.cfg.window, state?.recent);
    this.input = new Float64Array(this.cfg.dims);
    this.lo = state?.lo ?? Number.POSITIVE_INFINITY;
    this.hi = state?.hi ?? Number.NEGATIVE_INFINITY;
    this.vigilance = state?.vigilance ?? this.cfg.vigilance;
    this.rows = state?.rows ?? 0;
    this.quiet = state?.quiet ?? 0;
  }

  /**
   * Scores one row and learns from it. Non-finite inputs score 0 and leave
   * the state unchanged.
   *
   * @param timestampMs row time, epoch ms (unused by this model, kept for a common interface).
   * @param value the observation.
   * @returns 0, or for a window that founded a category after the warm-up
   *   (outside a hold) its mismatch `1 - best match`, above `1 - vigilance`.
   */
  update(timestampMs: number, value: number): number {
    if (!Number.isFinite(value) || !Number.isFinite(timestampMs)) return 0;
    this.rows++;
    this.track(value);
    this.recent.push(value);
    if (this.recent.length < this.cfg.window) return 0;
    this.features();
    const empty = this.art.size === 0;
    const res = this.art.present(this.input, this.vigilance);
    if (empty || this.rows <= this.cfg.warmupRows) return 0;
    if (!res.created) return this.refractory(0);
    this.vigilance = Math.max(this.vigilance - this.cfg.vigilanceStep, this.cfg.minVigilance);
    return this.refractory(1 - res.bestMatch);
  }

  /** Running range: widens at once, relaxes towards the values at `rangeDecay`. */
  private track(x: number): void {
    if (this.rows === 1) {
      this.lo = x;
      this.hi = x;
      return;
    }
    const r = this.cfg.rangeDecay;
    this.hi = x >= this.hi ? x : this.hi - r * (this.hi - x);
    this.lo = x <= this.lo ? x : this.lo + r * (x - this.lo);
  }

  /** Chunk means of the window, scaled into [0, 1] by the running range. */
  private features(): void {
    const { window, dims } = this.cfg;
    const span = this.hi - this.lo;
    const values = this.recent.values();
    for (let k = 0; k < dims; k++) {
      const from = Math.floor((k * window) / dims);
      const to = Math.floor(((k + 1) * window) / dims);
      let s = 0;
      for (let i = from; i < to; i++) s += values[i] as number;
      const mean = s / (to - from);
      this.input[k] = span > 0 ? (mean - this.lo) / span : 0.5;
    }
  }

  private refractory(score: number): number {
    if (this.quiet > 0) {
      this.quiet--;
      return 0;
    }
    if (this.cfg.refractoryRows > 0 && score >= this.cfg.alarmLevel) {
      this.quiet = Math.max(this.cfg.refractoryRows, Math.round(this.cfg.refractoryFraction * this.rows));
    }
    return this.cfg.sparse && score < this.cfg.alarmLevel ? 0 : score;
  }

  /** A copy of the state, safe to JSON-serialize. */
  toJSON(): ArtDetectorState {
    return {
      config: { ...this.cfg },
      art: this.art.toJSON(),
      recent: this.recent.toJSON(),
      lo: this.lo,
      hi: this.hi,
      vigilance: this.vigilance,
      rows: this.rows,
      quiet: this.quiet,
    };
  }
}
