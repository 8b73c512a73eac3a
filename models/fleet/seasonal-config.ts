/**
 * Settings, slot layouts, checkpointed state and result types of the
 * seasonal scorer (seasonal-scorer.ts), and the parameters the model
 * registry versions.
 */
import { SEASONAL_HEADER, SeasonalSlots } from '../stats/index.ts';
import type { Evidence } from './outputs.ts';

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
  /**
   * The feature that also gets a weekly baseline (its traffic: weekdays and
   * weekends differ). Default `request_rate`; `zeroops detect` gives it to its
   * series (models/univariate/series-model.ts).
   */
  weeklyFeature: string;
}

/** Default seasonal scorer settings. */
export const DEFAULT_SEASONAL_SCORER: SeasonalScorerConfig = {
  warmup: 5,
  z50: 3,
  learnBelow: 0.7,
  adaptAfter: 30,
  maxFeatures: 20,
  weeklyFeature: 'request_rate',
};

export const HOUR_MS = 3_600_000;
export const DAILY = new SeasonalSlots({ periodMs: 24 * HOUR_MS, buckets: 24 });
// Hourly slots over the week: the daily baseline's hourly slots, one set per day of the week (two-hour slots lost the
// hourly shape wherever the weekly baseline replaced the daily one, issue 16).
export const WEEKLY = new SeasonalSlots({ periodMs: 7 * 24 * HOUR_MS, buckets: 168 });
export const RECENT_ALPHA = 0.1;
/**
 * Anomalous windows an episode may have and still count as a blip whose
 * opening deviation teaches the tail calibration (20 s of the default 10 s
 * windows); an episode with more is a fault (see {@link SeasonalScorer.releaseTail}).
 */
export const BLIP_WINDOWS = 2;
/** Numbers per feature in the checkpointed layout: recent mean, variance and count, then the daily block. */
export const STRIDE = 3 + DAILY.blockSize;
export const DAILY_AT = 3;
/** Numbers of a feature's header in the live layout: recent mean, variance and count, then the daily block's header. */
export const HEAD = DAILY_AT + SEASONAL_HEADER;
export const BUCKETS = DAILY.cfg.buckets;
/** Features of room added at a time (a service's array grows by this much, up to `maxFeatures`). */
export const GROW = 4;

/** Serializable state of one service's {@link SeasonalScorer}. */
export interface SeasonalScorerState {
  /** Feature names, in order of first appearance (at most `maxFeatures`). */
  features: string[];
  /** Per feature (in `features` order) its recent mean, variance and count and its daily block (models/stats/seasonal-baseline.ts). */
  data: number[];
  /** Weekly block of the weekly feature, once that feature has been seen (an older two-hour layout is not restored). */
  weekly?: number[];
  /** Event time (ms) from which the weekly block's slots predict from an earlier week and its residual scale is learned. */
  weeklyFrom?: number;
  /** Consecutive windows not learned because they were anomalous. */
  anomalousRun: number;
  /** Per feature (in `features` order) the histogram of its past deviations (tail-calibration.ts); absent in older checkpoints. */
  tail?: number[];
  /** Deviations of the window that opened the current episode, held until it closes (see {@link SeasonalScorer.holdTail}). */
  held?: number[];
  /** Anomalous windows of the current episode so far (0: none held). */
  heldRun?: number;
  /** Per feature (in `features` order) its windows in a row kept out of the baseline as routine blips (absent: none). */
  routineRun?: number[];
}

/** Result of scoring one window. */
export interface FeatureScore {
  /** Highest feature score in [0, 1]. */
  score: number;
  /** Features scoring >= 0.5, strongest first. */
  evidence: Evidence[];
}

/** The surprise of a window's features (see {@link SeasonalScorer.surprise}). */
export interface Surprise {
  /** Sum over the scored features of the negative log of their tail frequency. */
  sum: number;
  /** Features scored. */
  count: number;
  /** The largest surprise of one feature. */
  max: number;
  /**
   * Features at risk of being the smallest p (`count` when absent): every
   * resource metric scored, and the symptom features in their tail (at least
   * a spread off in their bad direction), see service-combination.ts.
   */
  tail?: number;
}

/** Half-life, in samples, of an exponential average that weighs a new sample `alpha`. */
const halfLifeOf = (alpha: number) => (alpha > 0 && alpha < 1 ? Math.log(0.5) / Math.log(1 - alpha) : 0);

/**
 * The parameters that shape the seasonal baselines (`cfg`, the slot layouts
 * and their averaging weights, with the half-lives those give), as plain
 * data: what the model registry versions (see baseline-params.ts).
 */
export function seasonalParameters(cfg: SeasonalScorerConfig = DEFAULT_SEASONAL_SCORER): Record<string, unknown> {
  const slots = (c: SeasonalSlots['cfg']) => ({
    ...c,
    halfLives: { bucket: halfLifeOf(c.bucketAlpha), level: halfLifeOf(c.levelAlpha), scale: halfLifeOf(c.scaleAlpha) },
  });
  return {
    scorer: { ...cfg },
    recentAlpha: RECENT_ALPHA,
    recentHalfLife: halfLifeOf(RECENT_ALPHA),
    // The rule of `expectedOf` (series-v12): a detector running the older rule runs other baselines.
    spread: 'max(1.25 x daily residual scale, floors; the recent spread only until the residual scale has averaged 1 / scaleAlpha residuals)',
    daily: slots(DAILY.cfg),
    weekly: { feature: cfg.weeklyFeature, rule: 'used once its residual scale from its second week on has settled below the daily one', ...slots(WEEKLY.cfg) },
  };
}
