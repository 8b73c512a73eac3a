/**
 * The fleet models the live detector runs (pure): per-service seasonal
 * baselines, the tfjs autoencoder (tf injected by the caller), likelihood,
 * episodes and severity, combined into one scoring round over a batch of
 * closed windows.
 */
export { Autoencoder, type TfModule } from './autoencoder.ts';
export { type AutoencoderConfig, type AutoencoderState, DEFAULT_AUTOENCODER } from './autoencoder-config.ts';
export { type BaselineOptions, baselineParameters, canonicalJson } from './baseline-params.ts';
export { bandOf, bandsRecord, type ExpectedBands } from './expected-bands.ts';
export { NeuralScorer } from './neural-scorer.ts';
export { NEURAL_INPUTS, NeuralService } from './neural-service.ts';
export type { Evidence, FeatureVector, ServiceScore, Severity, WindowInput } from './outputs.ts';
export { DEFAULT_SEASONAL_SCORER, deviationToScore, SeasonalScorer } from './seasonal-scorer.ts';
export { ServiceModels } from './service-models.ts';
export { DEFAULT_WARMUP_WINDOWS, type ServiceModelState, type ServiceModelsOptions, type ServiceState } from './service-state.ts';
export { errorRatioSpreads, isSymptomFeature, severityRank } from './severity.ts';
