/**
 * Streaming univariate anomaly detector: one (timestamp, value) in, one
 * anomaly score in [0, 1] out, using only the past. Built from the reusable
 * blocks of this folder so the per-service detector can share them.
 */
import { AnomalyLikelihood, type LikelihoodConfig, type LikelihoodState } from './likelihood.ts';
import type { RingState } from './online-stats.ts';
import { RollingQuantile } from './rolling-quantile.ts';

/** Settings of a {@link UnivariateDetector}. */
export interface UnivariateConfig {
  /** Rows in the robust baseline window. Default 512. */
  baselineWindow: number;
  /** Likelihood settings. */
  likelihood: Partial<LikelihoodConfig>;
}

/** Default detector settings. */
export const DEFAULT_UNIVARIATE: UnivariateConfig = { baselineWindow: 512, likelihood: {} };

/** Serializable state of a {@link UnivariateDetector}. */
export interface UnivariateState {
  config: UnivariateConfig;
  baseline: RingState;
  likelihood: LikelihoodState;
}

/** Streaming univariate detector; see the module comment. */
export class UnivariateDetector {
  private readonly cfg: UnivariateConfig;
  private readonly baseline: RollingQuantile;
  private readonly likelihood: AnomalyLikelihood;

  constructor(config: Partial<UnivariateConfig> = {}, state?: UnivariateState) {
    this.cfg = { ...DEFAULT_UNIVARIATE, ...(state?.config ?? config) };
    this.baseline = new RollingQuantile(this.cfg.baselineWindow, state?.baseline);
    this.likelihood = new AnomalyLikelihood(this.cfg.likelihood, state?.likelihood);
  }

  /**
   * Scores one row and learns from it. Non-finite values score 0 and leave
   * the state unchanged.
   *
   * @param timestampMs row time, epoch ms.
   * @param value the observation.
   * @returns anomaly score in [0, 1].
   */
  update(timestampMs: number, value: number): number {
    if (!Number.isFinite(value) || !Number.isFinite(timestampMs)) return 0;
    const raw = this.rawScore(value);
    this.baseline.push(value);
    return this.likelihood.update(raw).score;
  }

  private rawScore(x: number): number {
    if (this.baseline.length < 16) return 0;
    const med = this.baseline.quantile(0.5);
    const iqr = this.baseline.quantile(0.75) - this.baseline.quantile(0.25);
    const span = this.baseline.quantile(0.99) - this.baseline.quantile(0.01);
    const scale = Math.max(iqr / 1.349, span / 100, Math.abs(med) * 1e-6, 1e-12);
    return Math.log1p(Math.abs(x - med) / scale);
  }

  /** A copy of the state, safe to JSON-serialize. */
  toJSON(): UnivariateState {
    return { config: structuredClone(this.cfg), baseline: this.baseline.toJSON(), likelihood: this.likelihood.toJSON() };
  }
}
