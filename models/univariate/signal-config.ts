/**
 * Settings and serializable state of the per-signal model (`signal-model.ts`).
 * Every setting is a time scale (rows), a false-alarm rate (decades of tail
 * probability) or an on/off switch of one mechanism; none is a threshold
 * found by searching a benchmark for a single category.
 */
import type { LikelihoodState } from '../likelihood/index.ts';
import type { RingState, SeasonalConfig, SeasonalState } from '../stats/index.ts';

/** Settings of a {@link SignalModel}. */
export interface SignalConfig {
  /**
   * Time scale of "the recent past", in rows: the sliding window whose
   * median, spread and extremes the forecast, the novelty and the level-shift
   * mechanisms compare a new value with. Default 1024.
   */
  window: number;
  /**
   * Forecast of the residual mechanism: `seasonal` is a time-of-day baseline
   * with a tracked level (Holt-Winters-like, robust scale = mean absolute
   * residual); `median` is the window median with its interquartile scale.
   * Default `seasonal`.
   */
  forecast: 'seasonal' | 'median';
  /** Settings of the seasonal forecast (period, slots, smoothing); defaults of models/stats. */
  seasonal: Partial<SeasonalConfig>;
  /**
   * How a surprise becomes a tail probability: `gaussian` is HTM's anomaly
   * likelihood (a normal fit to the history of short-term averages); `evt`
   * is a peaks-over-threshold fit (see `evt-tail.ts`) that follows heavy
   * tails. Default `gaussian`.
   */
  tail: 'gaussian' | 'evt';
  /** Share of the history modelled as the tail by `evt`. Default 0.05. */
  tailShare: number;
  /**
   * Least spread of a likelihood's reference distribution, in log1p
   * surprise units: a surprise must exceed the usual by at least this many
   * spreads' worth of tail to count (it keeps a usually-zero surprise, such
   * as novelty, from paging on a tiny excess). Default 0.1.
   */
  minSpread: number;
  /** Rows in the short-term average of each anomaly likelihood (HTM's short window). Default 1. */
  likelihoodShort: number;
  /** Rows of history of each anomaly likelihood (HTM's long window). Default 2048. */
  likelihoodHistory: number;
  /**
   * False-alarm rate of an alarm: a row alarms when one mechanism's recent
   * surprise has a tail probability below 10^-alarmDecades under its own
   * history. Default 8.
   */
  alarmDecades: number;
  /** Tail probability of 10^-scaleDecades maps to score 1 (the score is decades / scaleDecades). Default 30. */
  scaleDecades: number;
  /** Rows of the level-shift block (the median of the last rows vs the window median); 0 disables. Default 6. */
  shiftRows: number;
  /** Whether the novelty mechanism (a value beyond the window's extremes) runs. Default true. */
  novelty: boolean;
  /**
   * One page per incident: after an alarm, no other alarm is reported for
   * `holdRows` rows, or `holdShare` of the rows seen so far if that is
   * longer (an alarm budget: at most about 1 / holdShare pages over the
   * history). Default 100 rows, share 0.02.
   */
  holdRows: number;
  /** See `holdRows`. */
  holdShare: number;
}

/** Default settings of the per-signal model. */
export const DEFAULT_SIGNAL: SignalConfig = {
  window: 1024,
  forecast: 'seasonal',
  seasonal: {},
  tail: 'gaussian',
  tailShare: 0.05,
  minSpread: 0.1,
  likelihoodShort: 1,
  likelihoodHistory: 2048,
  alarmDecades: 8,
  scaleDecades: 30,
  shiftRows: 6,
  novelty: true,
  holdRows: 100,
  holdShare: 0.02,
};

/** Serializable state of a {@link SignalModel}. */
export interface SignalState {
  config: SignalConfig;
  /** The recent past (the `window` last values). */
  window: RingState;
  /** The seasonal forecast (present with `forecast: "seasonal"`). */
  seasonal?: SeasonalState;
  /** One likelihood per mechanism (residual, novelty, level shift) with `tail: "gaussian"`. */
  likelihoods?: LikelihoodState[];
  /** One tail history per mechanism with `tail: "evt"`. */
  tails?: RingState[];
  /** The level-shift block (present when `shiftRows` > 0). */
  shift?: RingState;
  /** The forecast's usual absolute error and the rows it has learned (with `forecast: "seasonal"`). */
  scale?: [number, number];
  /** Rows of the current hold still to run. */
  hold: number;
  /** Finite rows seen. */
  rows: number;
}

/** Defaults overlaid with `config`. */
export function mergeSignalConfig(config: Partial<SignalConfig>): SignalConfig {
  return { ...DEFAULT_SIGNAL, ...config, seasonal: { ...DEFAULT_SIGNAL.seasonal, ...config.seasonal } };
}
