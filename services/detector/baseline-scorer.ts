import type { Evidence } from '../bus/messages.ts';
import type { FeatureVector } from './window-features.ts';

/**
 * Which direction of a feature is bad: `up` (latency, errors), `both`
 * (traffic), and the smallest standard deviation assumed, so that a feature
 * that never moved does not turn a tiny change into a huge deviation.
 */
interface FeatureRule {
  direction: 'up' | 'both';
  /** Absolute floor of the standard deviation, in the feature's unit. */
  absFloor: number;
  /** Floor as a fraction of the baseline mean. */
  relFloor: number;
}

function ruleFor(feature: string): FeatureRule {
  if (feature === 'error_ratio') return { direction: 'up', absFloor: 0.02, relFloor: 0.2 };
  if (feature.startsWith('latency_')) return { direction: 'up', absFloor: 2, relFloor: 0.1 };
  if (feature === 'request_rate') return { direction: 'both', absFloor: 0.5, relFloor: 0.1 };
  if (feature.startsWith('log_')) return { direction: feature.includes('error') || feature.includes('fatal') ? 'up' : 'both', absFloor: 0.5, relFloor: 0.2 };
  return { direction: 'both', absFloor: 1e-6, relFloor: 0.1 };
}

/** Serializable per-feature baseline: exponentially weighted mean and variance. */
export interface FeatureBaseline {
  mean: number;
  variance: number;
  n: number;
}

/** Serializable state of one service's {@link BaselineScorer}. */
export type BaselineState = Record<string, FeatureBaseline>;

/** Settings of the baseline scorer. */
export interface BaselineScorerConfig {
  /** Weight of a new window in the baseline (0..1). Default 0.1. */
  alpha: number;
  /** Windows of history before a feature is scored. Default 5. */
  warmup: number;
  /** Deviation (in standard deviations) that maps to score 0.5. Default 3. */
  z50: number;
}

/** Default baseline settings. */
export const DEFAULT_BASELINE: BaselineScorerConfig = { alpha: 0.1, warmup: 5, z50: 3 };

/** Score of one window: combined score in [0, 1], the strongest evidence first. */
export interface WindowScore {
  score: number;
  evidence: Evidence[];
}

/** Maps a deviation in standard deviations to [0, 1]: z50 -> 0.5, growing toward 1. */
export function deviationToScore(z: number, z50: number): number {
  if (!(z > 0)) return 0;
  if (z <= z50) return (0.5 * z) / z50;
  return 1 - 0.5 * Math.exp(-(z - z50) / z50);
}

/**
 * A simple per-service, per-feature online baseline (EWMA mean and
 * variance). Windows that score as anomalous update the baseline with a
 * tenth of the usual weight, so an incident is not learned as normal.
 */
export class BaselineScorer {
  constructor(
    private readonly cfg: BaselineScorerConfig = DEFAULT_BASELINE,
    private readonly state: BaselineState = {},
  ) {}

  /** Scores `features` against the baseline, then learns them. Non-finite values are ignored. */
  update(features: FeatureVector): WindowScore {
    const evidence: Evidence[] = [];
    let best = 0;
    for (const [feature, x] of Object.entries(features)) {
      if (!Number.isFinite(x)) continue;
      const b = this.state[feature];
      if (b && b.n >= this.cfg.warmup) {
        const rule = ruleFor(feature);
        const std = Math.max(Math.sqrt(b.variance), rule.absFloor, rule.relFloor * Math.abs(b.mean));
        const dev = (x - b.mean) / std;
        const z = rule.direction === 'up' ? dev : Math.abs(dev);
        const s = deviationToScore(z, this.cfg.z50);
        if (s > best) best = s;
        if (s >= 0.5) evidence.push({ feature, observed: x, expected: b.mean, deviation: dev });
      }
    }
    const weight = best >= 0.7 ? this.cfg.alpha / 10 : this.cfg.alpha;
    for (const [feature, x] of Object.entries(features)) {
      if (!Number.isFinite(x)) continue;
      const b = this.state[feature];
      if (!b) {
        this.state[feature] = { mean: x, variance: 0, n: 1 };
        continue;
      }
      const a = b.n < this.cfg.warmup ? 1 / (b.n + 1) : weight;
      const d = x - b.mean;
      b.mean += a * d;
      b.variance = (1 - a) * (b.variance + a * d * d);
      b.n++;
    }
    evidence.sort((p, q) => Math.abs(q.deviation) - Math.abs(p.deviation));
    return { score: best, evidence };
  }

  /** The state to checkpoint (a copy). */
  snapshot(): BaselineState {
    return structuredClone(this.state);
  }
}
