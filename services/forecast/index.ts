/**
 * Load forecasts of services from their stored request-rate series (the
 * seasonal model is in models/forecast), and the quietest stretch of one.
 */
export { type ForecastSettings, forecastLoad, forecastOfSeries, type LoadForecast, type LoadForecastPoint, quietWindowOf } from './load-forecast.ts';
export { chooseStep, FORECAST_STEPS, loadRateSeries, MAX_HISTORY_POINTS, type RateSeries } from './rate-series.ts';
