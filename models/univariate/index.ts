/** Univariate detection (pure): the live detector's per-feature model over one series (`zeroops detect`, the NAB benchmark). */
export { SERIES_FEATURE, SeriesModel, type SeriesModelConfig, type SeriesVerdict, scoreSeries } from './series-model.ts';
