/** The detector service: public surface. */
export { anomalyEvent } from './anomaly-events.ts';
export { loadNeural } from './checkpoints.ts';
export { createDetector, type Detector } from './detector.ts';
export { type DetectorSettings, episodeConfig, MODEL_VERSION } from './detector-state.ts';
export {
  addShadowCounts,
  ensureActiveModel,
  getModelVersion,
  modelInState,
  type NewModelVersion,
  promoteModel,
  registerModelVersion,
  retireShadow,
  rollbackModel,
  type ShadowCounts,
} from './model-registry-repo.ts';
export { baselinesIdOf, ensureBaselinesVersion, type NewCalibrationVersion, registerCalibrationVersion } from './model-registry-versions.ts';
export { OtlpReplay, rowWindow } from './replay.ts';
export { type BackendPreference, loadBackend } from './tf-backend.ts';
export { saveWarmStart, type WarmStartSummary } from './warm-start.ts';
