/**
 * Streaming univariate detector after the ideas of NAB's ARTime entry
 * (dual-vigilance fuzzy ART over wavelet shape features), written anew and
 * made strictly streaming: a row's score uses only that row and the rows
 * before it, and nothing about the series is known in advance.
 *
 * - Learning phase: the first `learningRows` rows (rounded down to whole
 *   chunks) are downsampled and kept. At its last row the value range seen so
 *   far (widened by `headroom`) sets the scaling, the kept values become
 *   features, the vigilance is initialised from them and the network is
 *   trained on them in order; every learning row scores 0. (ARTime instead
 *   scales by the whole file's range and sizes the phase by the file's
 *   length; a stream knows neither.)
 * - With `growRange`, a later chunk whose extreme leaves the scale widens it
 *   to the range seen so far, and the learned categories, level counts and
 *   recent levels are re-mapped to the new scale: after the first large
 *   spike, ordinary values occupy a small part of the scale, as under
 *   ARTime's whole-file range, so their noise snaps to the median level.
 * - Afterwards every `step`-th row (a chunk end) yields a downsampled value,
 *   a level, a feature window and one presentation to the network; the other
 *   rows score 0. A presentation that founds a new cluster is an anomaly
 *   unless masked (just after an anomaly, or after new clusters until enough
 *   presentations passed without one), except when it matches clearly worse
 *   than the last anomaly did. Its score grows with how far the match fell
 *   below the vigilances and how far the latest value left the category's
 *   range (energy), capped at 1.
 * - The vigilances follow the running mean match (upper) and the least
 *   recent match (lower), re-set every half learning phase and right after
 *   the post-anomaly mask.
 *
 * Pure code; deterministic; state is JSON.
 */
import { DualVigilanceArt, type DvfaState } from './artime-dvfa.ts';
import { type DownsamplerState, Levelizer, type LevelizerState, SpikeDownsampler, windowFeatures } from './artime-features.ts';
import { initialVigilance, type VigilanceState, VigilanceTracker } from './artime-vigilance.ts';

/** Settings of an {@link ArtimeDetector}. */
export interface ArtimeConfig {
  /** Downsampled values per feature window (a power of two). Default 8. */
  window: number;
  /**
   * Rows of the learning phase (fixes the chunk size and the trend span).
   * Default 300: short enough to finish within NAB-sized probations of
   * short series, long enough for a stable vigilance.
   */
  learningRows: number;
  /** Feature windows per learning phase: chunk = learningRows / (window * this). Default 13. */
  windowsPerLearning: number;
  /** Level steps over the scaled range. Default 80. */
  levels: number;
  /** Distance (scaled units) within which a value snaps to the median level. Default 0.075. */
  chomp: number;
  /**
   * Share of the learned range added below it before scaling (and above it,
   * unless `headroomAbove` is set): the learned values then use only part of
   * the scale, as they would under a range that later extremes widened.
   * Default 1.
   */
  headroom: number;
  /** Share of the learned range added above it before scaling. Default: `headroom`. */
  headroomAbove?: number;
  /**
   * After the learning phase, widen the scale whenever a chunk's raw extreme
   * leaves it (re-mapping the learned categories and level counts), so the
   * scale is always the range seen so far; otherwise values are clamped.
   * Default true.
   */
  growRange: boolean;
  /** Vigilance of the trial network that sets the initial vigilance. Default 0.8. */
  initialRho: number;
  /** Cap of the upper vigilance. Default 0.97. */
  maxRhoUb: number;
  /** Presentations masked after an anomaly, in windows. Default 1.5. */
  maskWindows: number;
  /** Most ART categories kept. Default 4096. */
  maxCategories: number;
}

/** Default settings. */
export const DEFAULT_ARTIME: ArtimeConfig = {
  window: 8,
  learningRows: 300,
  windowsPerLearning: 13,
  levels: 80,
  chomp: 0.075,
  headroom: 1,
  growRange: true,
  initialRho: 0.8,
  maxRhoUb: 0.97,
  maskWindows: 1.5,
  maxCategories: 4096,
};

/** Serializable state of an {@link ArtimeDetector}. */
export interface ArtimeState {
  config: ArtimeConfig;
  rows: number;
  /** Downsampled values produced so far. */
  dsi: number;
  lo: number;
  hi: number;
  /** Raw downsampled values of the learning phase (empty after it). */
  pending: number[];
  /** The last `window` level values. */
  recent: number[];
  downsampler: DownsamplerState;
  levelizer: LevelizerState | null;
  art: DvfaState;
  vigilance: VigilanceState;
}

/** Chunk size and learning span (in downsampled values) of a config. */
export function artimeSpans(cfg: ArtimeConfig): { step: number; trend: number } {
  const step = Math.max(1, Math.floor(cfg.learningRows / (cfg.window * cfg.windowsPerLearning)));
  return { step, trend: Math.max(cfg.window + 2, Math.floor(cfg.learningRows / step)) };
}

/** ARTime-style streaming detector; see the module comment. */
export class ArtimeDetector {
  private readonly cfg: ArtimeConfig;
  private readonly step: number;
  private readonly trend: number;
  private readonly downsampler: SpikeDownsampler;
  private readonly art: DualVigilanceArt;
  private readonly vigilance: VigilanceTracker;
  private readonly features: Float64Array;
  private levelizer: Levelizer | undefined;
  private rows: number;
  private dsi: number;
  private lo: number;
  private hi: number;
  private pending: number[];
  private recent: number[];

  constructor(config: Partial<ArtimeConfig> = {}, state?: ArtimeState) {
    this.cfg = { ...DEFAULT_ARTIME, ...(state ? state.config : config) };
    ({ step: this.step, trend: this.trend } = artimeSpans(this.cfg));
    this.downsampler = new SpikeDownsampler(this.step, state?.downsampler);
    this.art = new DualVigilanceArt(2 * this.cfg.window, this.cfg.maxCategories, state?.art);
    const mask = Math.round(this.cfg.window * this.cfg.maskWindows);
    this.vigilance = new VigilanceTracker({ trend: this.trend, mask, maxUb: this.cfg.maxRhoUb }, state?.vigilance);
    this.features = new Float64Array(2 * this.cfg.window);
    this.levelizer = state?.levelizer ? new Levelizer(0, 0, 0, 1, state.levelizer) : undefined;
    this.rows = state?.rows ?? 0;
    this.dsi = state?.dsi ?? 0;
    this.lo = state?.lo ?? 0;
    this.hi = state?.hi ?? 0;
    this.pending = state ? [...state.pending] : [];
    this.recent = state ? [...state.recent] : [];
  }

  /**
   * Scores one row and learns from it. Non-finite inputs score 0 and leave
   * the state unchanged.
   *
   * @param timestampMs row time, epoch ms (unused: the model counts rows).
   * @param value the observation.
   * @returns 0, or in (0, 1] at a chunk end whose window founded a new cluster unmasked.
   */
  update(timestampMs: number, value: number): number {
    if (!Number.isFinite(value) || !Number.isFinite(timestampMs)) return 0;
    this.rows++;
    if (this.dsi < this.trend) {
      this.lo = this.rows === 1 ? value : Math.min(this.lo, value);
      this.hi = this.rows === 1 ? value : Math.max(this.hi, value);
    }
    const ds = this.downsampler.push(value);
    if (ds === undefined) return 0;
    this.dsi++;
    if (this.dsi <= this.trend) {
      this.pending.push(ds);
      if (this.dsi === this.trend) this.finishLearning();
      return 0;
    }
    if (this.cfg.growRange) this.growRange();
    if (!this.nextFeatures(ds)) return 0;
    return this.vigilance.detect(this.art, this.features, this.dsi);
  }

  /** Fixes the scaling, sets the vigilance and trains on the learning phase. */
  private finishLearning(): void {
    const range = this.hi - this.lo;
    const span = range > 0 ? range : Math.abs(this.lo) || 1;
    const below = this.cfg.headroom * span;
    const above = (this.cfg.headroomAbove ?? this.cfg.headroom) * span;
    this.levelizer = new Levelizer(this.cfg.levels, this.cfg.chomp, this.lo - below, span + below + above);
    const feats: Float64Array[] = [];
    for (const ds of this.pending) if (this.nextFeatures(ds)) feats.push(this.features.slice());
    this.pending = [];
    const rho = initialVigilance(feats, this.cfg.initialRho);
    this.vigilance.reset(rho);
    const first = this.trend - feats.length + 1;
    for (const [k, f] of feats.entries()) this.vigilance.detect(this.art, f, first + k);
  }

  /** Widens the scale to the last chunk's extremes when they leave it. */
  private growRange(): void {
    const lev = this.levelizer as Levelizer;
    const { lo, span } = lev.scale;
    const newLo = Math.min(lo, this.downsampler.chunkMin);
    const newHi = Math.max(lo + span, this.downsampler.chunkMax);
    if (newLo === lo && newHi === lo + span) return;
    const [a, b] = lev.rescale(newLo, newHi - newLo);
    for (let k = 0; k < this.recent.length; k++) this.recent[k] = a * (this.recent[k] as number) + b;
    this.art.rescale(this.cfg.window, a, b);
  }

  /** Levels `ds`, slides the window and fills `features`; false until the window is full. */
  private nextFeatures(ds: number): boolean {
    const level = (this.levelizer as Levelizer).apply(ds);
    this.recent.push(level);
    if (this.recent.length > this.cfg.window) this.recent.shift();
    if (this.recent.length < this.cfg.window) return false;
    windowFeatures(this.recent, this.features);
    return true;
  }

  /** A copy of the state, safe to JSON-serialize. */
  toJSON(): ArtimeState {
    return {
      config: { ...this.cfg },
      rows: this.rows,
      dsi: this.dsi,
      lo: this.lo,
      hi: this.hi,
      pending: [...this.pending],
      recent: [...this.recent],
      downsampler: this.downsampler.toJSON(),
      levelizer: this.levelizer ? this.levelizer.toJSON() : null,
      art: this.art.toJSON(),
      vigilance: this.vigilance.toJSON(),
    };
  }
}
