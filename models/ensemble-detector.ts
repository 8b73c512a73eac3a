/**
 * Ensemble of the statistical {@link UnivariateDetector} and the
 * ART-based {@link ArtDetector}, fed the same rows:
 * - `max`: either may alarm; the ART score is scaled by `artWeight`;
 * - `corroborate`: only the univariate detector alarms, and an alarm gains
 *   `artWeight` times the largest ART novelty (mismatch of a window that
 *   founded a category) of the last `corroborationRows` rows, so alarms
 *   that come with a never-seen window shape rank above those that do not.
 *
 * Pure code; row i uses rows <= i; state is JSON.
 */
import { type ArtConfig, ArtDetector, type ArtDetectorState } from './art-detector.ts';
import { type UnivariateConfig, UnivariateDetector, type UnivariateState } from './univariate-detector.ts';

/** Settings of an {@link EnsembleDetector}. */
export interface EnsembleConfig {
  /** How the two detectors' outputs combine. Default `corroborate`. */
  mode: 'max' | 'corroborate';
  /** Scale of the ART contribution. Default 0.5. */
  artWeight: number;
  /** Rows an ART novelty stays available to corroborate an alarm. Default 10. */
  corroborationRows: number;
  /** Settings of the univariate detector. */
  univariate: Partial<UnivariateConfig>;
  /** Settings of the ART detector (in `corroborate` mode its hold is off). */
  art: Partial<ArtConfig>;
}

/** Default ensemble settings. */
export const DEFAULT_ENSEMBLE: EnsembleConfig = { mode: 'corroborate', artWeight: 0.5, corroborationRows: 10, univariate: {}, art: {} };

/** Serializable state of an {@link EnsembleDetector}. */
export interface EnsembleState {
  config: EnsembleConfig;
  univariate: UnivariateState;
  art: ArtDetectorState;
  /** Recent ART novelties as [rows ago, mismatch] pairs. */
  novelty: [number, number][];
}

/** The two detectors combined; see the module comment. */
export class EnsembleDetector {
  private readonly cfg: EnsembleConfig;
  private readonly uni: UnivariateDetector;
  private readonly art: ArtDetector;
  private novelty: [number, number][];

  constructor(config: Partial<EnsembleConfig> = {}, state?: EnsembleState) {
    this.cfg = { ...DEFAULT_ENSEMBLE, ...(state ? state.config : config) };
    this.uni = new UnivariateDetector(this.cfg.univariate, state?.univariate);
    // Corroboration needs every novelty, so the ART side runs without hold or level.
    const artCfg: Partial<ArtConfig> = this.cfg.mode === 'corroborate' ? { ...this.cfg.art, refractoryRows: 0, alarmLevel: 1e-9 } : this.cfg.art;
    this.art = new ArtDetector(artCfg, state?.art);
    this.novelty = state ? state.novelty.map(([a, b]) => [a, b]) : [];
  }

  /**
   * Scores one row with both detectors and combines them. Non-finite inputs
   * score 0 and leave the state unchanged.
   *
   * @param timestampMs row time, epoch ms.
   * @param value the observation.
   * @returns anomaly score (>= 0; `corroborate` may exceed 1).
   */
  update(timestampMs: number, value: number): number {
    if (!Number.isFinite(value) || !Number.isFinite(timestampMs)) return 0;
    const u = this.uni.update(timestampMs, value);
    const a = this.art.update(timestampMs, value);
    if (this.cfg.mode === 'max') return Math.max(u, this.cfg.artWeight * a);
    this.novelty = this.novelty.map(([age, m]) => [age + 1, m] as [number, number]).filter(([age]) => age < this.cfg.corroborationRows);
    if (a > 0) this.novelty.push([0, a]);
    if (u <= 0) return 0;
    let best = 0;
    for (const [, m] of this.novelty) best = Math.max(best, m);
    return u + this.cfg.artWeight * best;
  }

  /** A copy of the state, safe to JSON-serialize. */
  toJSON(): EnsembleState {
    return { config: structuredClone(this.cfg), univariate: this.uni.toJSON(), art: this.art.toJSON(), novelty: this.novelty.map(([a, b]) => [a, b]) };
  }
}
