/**
 * Per-service, per-feature scoring against online baselines built from the
 * models/ blocks: a daily seasonal baseline (hourly slots plus a level that
 * follows shifts), a weekly one for traffic (hour-of-week slots), and a
 * recent exponentially weighted mean that stands in while a slot is still
 * unseen. The weekly slots are two hours wide. Windows that score as anomalous are not learned, unless the
 * service stays anomalous for `adaptAfter` windows: then the new level is
 * accepted as normal (a level shift).
 */
import { Ewm, type EwmState } from '../../models/online-stats.ts';
import { SeasonalBaseline, type SeasonalState } from '../../models/seasonal-baseline.ts';
import type { Evidence } from '../bus/messages.ts';
import type { FeatureVector } from './window-features.ts';

/** Which direction of a feature is bad and the smallest standard deviation assumed (absolute, and relative to the mean). */
export interface FeatureRule {
  direction: 'up' | 'both';
  absFloor: number;
  relFloor: number;
}

/** The rule of a feature name. */
export function ruleFor(feature: string): FeatureRule {
  if (feature === 'error_ratio') return { direction: 'up', absFloor: 0.02, relFloor: 0.2 };
  if (feature.startsWith('latency_')) return { direction: 'up', absFloor: 2, relFloor: 0.1 };
  if (feature === 'request_rate') return { direction: 'both', absFloor: 0.5, relFloor: 0.1 };
  if (feature.startsWith('log_')) return { direction: feature.includes('error') || feature.includes('fatal') ? 'up' : 'both', absFloor: 0.5, relFloor: 0.2 };
  return { direction: 'both', absFloor: 1e-6, relFloor: 0.1 };
}

/** Maps a deviation in standard deviations to [0, 1]: z50 -> 0.5, growing toward 1. */
export function deviationToScore(z: number, z50: number): number {
  if (!(z > 0)) return 0;
  if (z <= z50) return (0.5 * z) / z50;
  return 1 - 0.5 * Math.exp(-(z - z50) / z50);
}

/** Settings of the seasonal scorer. */
export interface SeasonalScorerConfig {
  /** Windows of history before a feature is scored. Default 5. */
  warmup: number;
  /** Deviation (in standard deviations) that maps to score 0.5. Default 3. */
  z50: number;
  /** Score at or above which a window is not learned. Default 0.7. */
  learnBelow: number;
  /** Consecutive anomalous windows after which they are learned anyway (level shift). Default 30. */
  adaptAfter: number;
  /** Features scored per service; later new features are ignored. Default 20. */
  maxFeatures: number;
}

/** Default seasonal scorer settings. */
export const DEFAULT_SEASONAL_SCORER: SeasonalScorerConfig = { warmup: 5, z50: 3, learnBelow: 0.7, adaptAfter: 30, maxFeatures: 20 };

const HOUR_MS = 3_600_000;
const DAILY = { periodMs: 24 * HOUR_MS, buckets: 24 };
// Two-hour slots over the week: half the memory of hourly ones, and the daily baseline keeps the hourly shape.
const WEEKLY = { periodMs: 7 * 24 * HOUR_MS, buckets: 84 };

/** Serializable baselines of one feature. */
export interface FeatureModelState {
  daily: SeasonalState;
  weekly?: SeasonalState;
  recent: EwmState;
}

/** Serializable state of one service's {@link SeasonalScorer}. */
export interface SeasonalScorerState {
  features: Record<string, FeatureModelState>;
  /** Consecutive windows not learned because they were anomalous. */
  anomalousRun: number;
}

/** Result of scoring one window. */
export interface FeatureScore {
  /** Highest feature score in [0, 1]. */
  score: number;
  /** Features scoring >= 0.5, strongest first. */
  evidence: Evidence[];
}

class FeatureModel {
  readonly daily: SeasonalBaseline;
  readonly weekly?: SeasonalBaseline;
  readonly recent: Ewm;
  constructor(name: string, s?: FeatureModelState) {
    this.daily = new SeasonalBaseline(DAILY, s?.daily);
    if (name === 'request_rate' || s?.weekly) this.weekly = new SeasonalBaseline(WEEKLY, s?.weekly);
    this.recent = new Ewm(0.1, s?.recent);
  }
  toJSON(): FeatureModelState {
    return { daily: this.daily.toJSON(), ...(this.weekly ? { weekly: this.weekly.toJSON() } : {}), recent: this.recent.toJSON() };
  }
}

/** The seasonal scorer of one service; see the module comment. */
export class SeasonalScorer {
  private readonly models = new Map<string, FeatureModel>();
  private anomalousRun: number;

  constructor(
    private readonly cfg: SeasonalScorerConfig = DEFAULT_SEASONAL_SCORER,
    state?: SeasonalScorerState,
  ) {
    for (const [name, s] of Object.entries(state?.features ?? {})) this.models.set(name, new FeatureModel(name, s));
    this.anomalousRun = state?.anomalousRun ?? 0;
  }

  /** Scores `features` of the window ending at `tMs` without learning them. Non-finite values are ignored. */
  score(features: FeatureVector, tMs: number): FeatureScore {
    const evidence: Evidence[] = [];
    let best = 0;
    for (const feature in features) {
      const x = features[feature] as number;
      const m = this.models.get(feature);
      if (!Number.isFinite(x) || !m || m.recent.count < this.cfg.warmup) continue;
      const rule = ruleFor(feature);
      const w = m.weekly?.expect(tMs);
      const d = m.daily.expect(tMs);
      const exp = w && Number.isFinite(w.expected) ? w.expected : Number.isFinite(d.expected) ? d.expected : m.recent.mean;
      const std = Math.max(1.25 * d.scale, m.recent.std, rule.absFloor, rule.relFloor * Math.abs(exp));
      const dev = (x - exp) / std;
      const s = deviationToScore(rule.direction === 'up' ? dev : Math.abs(dev), this.cfg.z50);
      if (s > best) best = s;
      if (s >= 0.5) evidence.push({ feature, observed: x, expected: exp, deviation: dev });
    }
    evidence.sort((p, q) => Math.abs(q.deviation) - Math.abs(p.deviation));
    return { score: best, evidence };
  }

  /**
   * Learns the window unless `score` (the service's combined score of it)
   * says it was anomalous, for at most `adaptAfter` windows in a row.
   */
  learn(features: FeatureVector, tMs: number, score: number): void {
    if (score >= this.cfg.learnBelow && this.anomalousRun < this.cfg.adaptAfter) {
      this.anomalousRun++;
      return;
    }
    this.anomalousRun = score >= this.cfg.learnBelow ? this.anomalousRun : 0;
    for (const [feature, x] of Object.entries(features)) {
      if (!Number.isFinite(x)) continue;
      let m = this.models.get(feature);
      if (!m) {
        if (this.models.size >= this.cfg.maxFeatures) continue;
        m = new FeatureModel(feature);
        this.models.set(feature, m);
      }
      m.daily.learn(tMs, x);
      m.weekly?.learn(tMs, x);
      m.recent.push(x);
    }
  }

  /** A copy of the state, safe to JSON-serialize. */
  toJSON(): SeasonalScorerState {
    const features: Record<string, FeatureModelState> = {};
    for (const [name, m] of this.models) features[name] = m.toJSON();
    return { features, anomalousRun: this.anomalousRun };
  }
}
