/**
 * Rolling-origin evaluation of the seasonal forecaster against the
 * seasonal-naive forecast: periods are found on the training part only, then
 * the forecaster runs online over the rest and, every `stride` steps,
 * forecasts the next `horizon` steps; both forecasts are scored with the mean
 * absolute error against what came (and, for a synthetic series, against the
 * noise-free signal). MASE divides by the training part's in-sample
 * seasonal-naive error, so it is comparable across series.
 */
import {
  detectPeriods,
  type ForecasterConfig,
  fitForecaster,
  mase,
  meanAbsoluteError,
  type PeriodDetectionConfig,
  roundPeriodsFor,
  seasonalNaive,
} from '../../../models/forecast/index.ts';

/** A series to score: observed values (NaN for gaps) and, if known, the noise-free signal and the true period. */
export interface EvalSeries {
  name: string;
  values: number[];
  truth?: number[];
  /** The period the series is known to have, in steps (the seasonal-naive period). */
  knownPeriod: number;
  /** Length of a step in seconds. */
  stepSeconds: number;
}

/** The scores of one series. */
export interface EvalResult {
  name: string;
  points: number;
  periodsFound: number[];
  horizon: number;
  origins: number;
  maseOurs: number;
  maseNaive: number;
  /** 1 - ours / naive on the mean absolute error against the observed values. */
  reduction: number;
  /** The same against the noise-free signal, when known. */
  reductionVsTruth?: number;
  /**
   * When the noise-free signal is known: the reduction (against the observed
   * values) that the signal itself would score as the forecast, on the same
   * points. A forecast that knew the answer exactly gets no further: what is
   * left is the noise of each observation, which no forecast can predict.
   */
  ceiling?: number;
  /** Share of observed values inside the 90 % interval. */
  coverage: number;
  /**
   * 1 - ours / seasonal-naive of one week (the value 7 known periods before),
   * vs observed, when the training part holds a week: a second baseline, for
   * series whose days differ by weekday (not the target's baseline).
   */
  reductionVsWeekNaive?: number;
}

/**
 * Scores one series; `train` is the share of it used to find the periods before the first origin; `config`
 * overrides the forecaster's defaults; `periods`, when given, replaces the detection (an experiment's what-if:
 * the forecast with the period known).
 */
export function evaluate(
  s: EvalSeries,
  opts: {
    train: number;
    horizon: number;
    stride: number;
    config?: Partial<ForecasterConfig>;
    detection?: Partial<PeriodDetectionConfig>;
    periods?: number[];
  },
): EvalResult {
  const n = s.values.length;
  const start = Math.floor(n * opts.train);
  const found =
    opts.periods ?? detectPeriods(s.values.slice(0, start), { ...opts.detection, roundPeriods: roundPeriodsFor(s.stepSeconds) }).map((p) => p.steps);
  const f = fitForecaster(s.values.slice(0, start), { ...opts.config, periods: found });
  const actual: number[] = [];
  const truth: number[] = [];
  const ours: number[] = [];
  const naive: number[] = [];
  const weekly = start >= 7 * s.knownPeriod;
  const naiveWeek: number[] = [];
  let inside = 0;
  let scored = 0;
  let origins = 0;
  for (let t = start; t + opts.horizon <= n; t++) {
    if ((t - start) % opts.stride === 0) {
      origins++;
      const fc = f.forecast(opts.horizon);
      const nv = seasonalNaive(s.values.slice(0, t), s.knownPeriod, opts.horizon);
      if (weekly) naiveWeek.push(...seasonalNaive(s.values.slice(0, t), 7 * s.knownPeriod, opts.horizon));
      for (let k = 0; k < opts.horizon; k++) {
        const a = s.values[t + k] as number;
        const p = fc[k] as { mean: number; lower: number; upper: number };
        actual.push(a);
        truth.push(s.truth?.[t + k] ?? Number.NaN);
        ours.push(p.mean);
        naive.push(nv[k] as number);
        if (Number.isFinite(a)) {
          scored++;
          if (a >= p.lower && a <= p.upper) inside++;
        }
      }
    }
    f.update(s.values[t] as number);
  }
  const history = s.values.slice(0, start);
  const result: EvalResult = {
    name: s.name,
    points: n,
    periodsFound: found,
    horizon: opts.horizon,
    origins,
    maseOurs: mase(actual, ours, history, s.knownPeriod),
    maseNaive: mase(actual, naive, history, s.knownPeriod),
    reduction: 1 - meanAbsoluteError(actual, ours) / meanAbsoluteError(actual, naive),
    coverage: scored === 0 ? Number.NaN : inside / scored,
  };
  if (weekly) result.reductionVsWeekNaive = 1 - meanAbsoluteError(actual, ours) / meanAbsoluteError(actual, naiveWeek);
  if (s.truth) {
    result.reductionVsTruth = 1 - meanAbsoluteError(truth, ours) / meanAbsoluteError(truth, naive);
    result.ceiling = 1 - meanAbsoluteError(actual, truth) / meanAbsoluteError(actual, naive);
  }
  return result;
}
