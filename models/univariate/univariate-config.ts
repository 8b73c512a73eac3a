/**
 * Settings and saved state of the univariate detector
 * (univariate-detector.ts): what each setting does, the defaults chosen on
 * NAB (test/bench/nab/README.md), and how a state saved by an older version
 * is read.
 */
import type { LegacyLikelihoodState, LikelihoodConfig, LikelihoodState } from '../likelihood/index.ts';
import type { LegacySeasonalState, RingState, RollingExtremesState, SeasonalConfig, SeasonalState } from '../stats/index.ts';
import type { ArtimeConfig, ArtimeState } from './artime-detector.ts';
import type { LevelShiftState } from './level-shift.ts';

/** Settings of a {@link UnivariateDetector}. */
export interface UnivariateConfig {
  /** Rows in the short robust baseline window. Default 64. */
  shortWindow: number;
  /** Rows in the long robust baseline window. Default 1024. */
  longWindow: number;
  /** Which surprises to use. */
  features: { short: boolean; long: boolean; season: boolean; range: boolean };
  /** Seasonal baseline settings. */
  seasonal: Partial<SeasonalConfig>;
  /** Likelihood settings (one likelihood per feature). */
  likelihood: Partial<LikelihoodConfig>;
  /** Least rows kept quiet after an alarm (0 disables the hold). Default 100. */
  refractoryRows: number;
  /**
   * Hold length as a fraction of the rows seen so far, when longer than
   * `refractoryRows`: an alarm stays "the same incident" for a span that
   * grows with the history it was judged against, so the hold is free of
   * the sampling rate. Default 0.02.
   */
  refractoryFraction: number;
  /**
   * The hold lengthens by this factor for each alarm raised in the last
   * `holdSpanFraction` of the history: a series that keeps alarming is
   * judged to be in one long incident (or to be noisy) rather than in many.
   * 0 disables. Default 0.5.
   */
  holdGrowth: number;
  /** Span, as a fraction of the rows seen, over which `holdGrowth` counts alarms. Default 0.05. */
  holdSpanFraction: number;
  /** Score at which the detector raises an alarm and starts a hold. Default 0.25. */
  alarmLevel: number;
  /**
   * Least score of an alarm that is reported; alarms between `alarmLevel`
   * and this level only start a hold (weak evidence of an incident that is
   * not worth a page, but whose after-effects should not page either).
   * Default 0.298.
   */
  reportLevel: number;
  /**
   * Level-shift feature: the median of the last `rows` rows against the
   * long-window median, in units of the larger of the usual noise and those
   * rows' own spread; a shift of `sigmas` units scores `alarmLevel`, the
   * score growing in proportion. `rows` 0 disables. Default 6 rows, 6 sigmas.
   */
  levelShift: { rows: number; sigmas: number };
  /**
   * Shape feature: an {@link ArtimeDetector} with settings `artime` scores
   * the same rows, and a row it scores at least `level` is an alarm. The
   * hold is shared, so the two kinds of evidence make one incident instead
   * of paging twice; a shape alarm the other features do not back holds
   * only `refractoryRows` and does not lengthen later holds. `level` 0
   * disables it. Default level 0.65, ARTime defaults but at most 1024
   * categories (no NAB series needs more; the state stays bounded).
   */
  shape: { level: number; artime: Partial<ArtimeConfig> };
  /**
   * Rarity rule: an alarm of the statistical features is reported only when
   * the row's value lies at least `share` of the way across the range of the
   * last `rows` rows, counted from the far end in the direction the value
   * left the long-window median (from the minimum for a rise, from the
   * maximum for a fall). Otherwise it neither reports nor holds: a series
   * that has recently been much further out is in its ordinary swings.
   * Shape alarms are exempt. `share` 0 disables. Default 16384 rows, 0.4.
   */
  rarity: { rows: number; share: number };
  /**
   * Precedent rule: an alarm of the statistical features is not reported
   * (nor held) when a reported alarm of the last `rows` rows left the
   * long-window median in the same direction and reached at least as far:
   * the series has just done this, and the first time was the page. Such an
   * echo holds only `refractoryRows`, so the rest of it does not page
   * either. Shape alarms are exempt. `rows` 0 disables. Default 500.
   */
  precedent: { rows: number };
  /**
   * Record rule: during a hold, once the series has come back inside the
   * long window's interquartile range since the hold began, a value beyond
   * the extremes of the rarity rule's span (the last `rarity.rows` rows),
   * by more than `margin` of that span's range and on the same side of the
   * long-window median as the alarm that started the hold, is reported: the
   * series recovered and then went further than at any time of the span, so
   * this is a new incident, not the tail of the one that started the hold.
   * It neither ends nor lengthens the hold and is not a precedent (so it
   * cannot silence later alarms); one is reported per recovery. Default on,
   * margin 0 (any new extreme of the span).
   */
  record: { enabled: boolean; margin: number };
  /**
   * What a reported alarm row emits. `confidence` emits how sure the
   * detector is that the row starts an incident, in [0.01, 1]: the larger of
   * the shape feature's score and the value's reach across the range of the
   * rarity rule's span (the share the rarity rule measures, 1 at or beyond
   * the span's extremes, so record alarms emit 1). A threshold on it drops
   * the alarms that stay within the recent swings, for users (and NAB
   * profiles) that pay more for a false alarm; the holds they start stay.
   * `alarm` emits 1, so the detector alone decides what is an alarm; `score`
   * emits the alarm's likelihood score. Default `confidence`.
   */
  output: 'confidence' | 'alarm' | 'score';
  /**
   * Emit 0 on rows that are not reported alarms, so downstream thresholds
   * cannot fire on rows the detector itself judged normal. Default true.
   */
  sparse: boolean;
}

/** Default detector settings. */
export const DEFAULT_UNIVARIATE: UnivariateConfig = {
  shortWindow: 64,
  longWindow: 1024,
  features: { short: false, long: false, season: true, range: true },
  seasonal: {},
  likelihood: { shortWindow: 1, minStd: 0.01, decades: 30 },
  refractoryRows: 100,
  refractoryFraction: 0.02,
  holdGrowth: 0.5,
  holdSpanFraction: 0.05,
  alarmLevel: 0.25,
  reportLevel: 0.298,
  levelShift: { rows: 6, sigmas: 6 },
  shape: { level: 0.65, artime: { maxCategories: 1024 } },
  rarity: { rows: 16384, share: 0.4 },
  precedent: { rows: 500 },
  record: { enabled: true, margin: 0 },
  output: 'confidence',
  sparse: true,
};

/** Serializable state of a {@link UnivariateDetector}. */
export interface UnivariateState {
  config: UnivariateConfig;
  shortWin: RingState;
  longWin: RingState;
  /** The seasonal baseline (the older per-slot form is still read). */
  seasonal: SeasonalState | LegacySeasonalState;
  /** One per feature (states saved before the rings shared a buffer hold {@link LegacyLikelihoodState}s). */
  likelihoods: (LikelihoodState | LegacyLikelihoodState)[];
  quiet: number;
  /** Finite rows seen (absent in states saved before it existed: 0). */
  rows?: number;
  /** Recent rows of the level-shift feature (absent in older states: empty). */
  levelShift?: LevelShiftState;
  /** Row numbers of the alarms within the hold-growth span (absent in older states: none). */
  alarmRows?: number[];
  /** State of the shape feature's detector (absent in older states or when disabled). */
  shape?: ArtimeState;
  /** Extremes of the rarity rule's span (absent in older states or when disabled). */
  extremes?: RollingExtremesState;
  /** Reported alarms within the precedent span, oldest first (absent in older states: none). */
  precedents?: Precedent[];
  /** Whether the series came back to its middle since the current hold began (absent in older states: false). */
  recovered?: boolean;
  /** Whether the alarm that started the current hold lay at or above the long-window median (absent in older states: true). */
  holdRise?: boolean;
}

/** A reported alarm as the precedent rule remembers it. */
export interface Precedent {
  /** Row number (1-based count of finite rows) of the alarm. */
  row: number;
  /** The alarm row's value. */
  value: number;
  /** Whether the value lay at or above the long-window median. */
  rise: boolean;
}

/** The config of a saved state; one saved before the shape feature or the rarity rule existed runs without them. */
export function savedConfig(state: UnivariateState): Partial<UnivariateConfig> {
  const saved: Partial<UnivariateConfig> = structuredClone(state.config);
  saved.shape ??= { level: 0, artime: {} };
  saved.rarity ??= { rows: 0, share: 0 };
  saved.precedent ??= { rows: 0 };
  saved.record ??= { enabled: false, margin: 0 };
  return saved;
}

/** Defaults overlaid with `config`, nested settings merged field by field. */
export function mergeConfig(config: Partial<UnivariateConfig>): UnivariateConfig {
  const d = DEFAULT_UNIVARIATE;
  return {
    ...d,
    ...config,
    features: { ...d.features, ...config.features },
    seasonal: { ...d.seasonal, ...config.seasonal },
    likelihood: { ...d.likelihood, ...config.likelihood },
    levelShift: { ...d.levelShift, ...config.levelShift },
    shape: { ...d.shape, ...config.shape, artime: { ...d.shape.artime, ...config.shape?.artime } },
    rarity: { ...d.rarity, ...config.rarity },
    precedent: { ...d.precedent, ...config.precedent },
    record: { ...d.record, ...config.record },
  };
}
