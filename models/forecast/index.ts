/**
 * Load forecasts (pure): seasonal periods found in the data, an online
 * multiple-seasonal Holt-Winters forecaster with empirical prediction
 * intervals, and the error measures that compare it with seasonal-naive.
 */
export { autocorrelation, detrend } from './autocorrelation.ts';
export { DEFAULT_FORECASTER, type ForecasterConfig, forecasterConfig, type MemberSpec } from './forecast-config.ts';
export { coverage, mase, meanAbsoluteError, seasonalNaive } from './forecast-metrics.ts';
export {
  DEFAULT_PERIOD_DETECTION,
  type DetectedPeriod,
  detectPeriods,
  type PeriodDetectionConfig,
  ROUND_PERIOD_SECONDS,
  roundPeriodsFor,
} from './period-detection.ts';
export { type QuietWindow, quietestWindow } from './quiet-window.ts';
export { type ForecasterState, type ForecastPoint, fitForecaster, SeasonalForecaster } from './seasonal-forecaster.ts';
