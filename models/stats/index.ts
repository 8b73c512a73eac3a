/** Shared online statistics (pure): weighted means, rings, rolling quantiles and extremes, the seasonal baseline, a seeded RNG. */
export { Ewm, type EwmState, RingBuffer, type RingState } from './online-stats.ts';
export { createRng, poissonSample, type Rng } from './rng.ts';
export { RollingExtremes, type RollingExtremesState } from './rolling-extremes.ts';
export { RollingQuantile } from './rolling-quantile.ts';
export {
  DEFAULT_SEASONAL,
  type LegacySeasonalState,
  SEASONAL_HEADER,
  SeasonalBaseline,
  type SeasonalConfig,
  type SeasonalExpectation,
  SeasonalSlots,
  type SeasonalState,
} from './seasonal-baseline.ts';
