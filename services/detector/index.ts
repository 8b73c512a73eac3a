/** The detector service: public surface. */
export { loadNeural } from './checkpoints.ts';
export { createDetector, type Detector } from './detector.ts';
export { type DetectorSettings, MODEL_VERSION } from './detector-state.ts';
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
export { type BackendPreference, loadBackend } from './tf-backend.ts';
