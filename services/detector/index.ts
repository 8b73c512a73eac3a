/** The detector service: public surface. */
export { anomalyEvent } from './anomaly-events.ts';
export { createDetector, type Detector } from './detector.ts';
export { type DetectorSettings, episodeConfig, MODEL_VERSION } from './detector-state.ts';
export { OtlpReplay, rowWindow } from './replay.ts';
export { loadBackend } from './tf-backend.ts';
export { saveWarmStart, type WarmStartSummary } from './warm-start.ts';
