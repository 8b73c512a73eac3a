/** Univariate detection (pure): the live detector's per-feature model over one series (`zeroops detect`, the NAB benchmark). */
export { DEFAULT_PRIOR_ROWS, ESCALATION, OnsetRarity, type OnsetRarityState } from './onset-rarity.ts';
export { SERIES_FEATURE, SeriesModel, type SeriesModelConfig, type SeriesReadout, type SeriesState, type SeriesVerdict, scoreSeries } from './series-model.ts';
