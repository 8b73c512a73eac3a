/** The detector service: public surface. */
export { createDetector, type Detector } from './detector.ts';
export { type DetectorSettings, MODEL_VERSION } from './detector-state.ts';
