/** Univariate detection (pure): the per-signal model, and the older rule-based detector with its ARTime shape part. */
export { type ArtimeConfig, ArtimeDetector, type ArtimeState, DEFAULT_ARTIME } from './artime-detector.ts';
export { DEFAULT_SIGNAL, type SignalConfig, type SignalState } from './signal-config.ts';
export { SIGNAL_MECHANISMS, SignalModel, type SignalVerdict, scoreSeries } from './signal-model.ts';
export { DEFAULT_UNIVARIATE, type UnivariateConfig, type UnivariateState } from './univariate-config.ts';
export { UnivariateDetector } from './univariate-detector.ts';
