/** The detector service: public surface. */
export { createDetector, type DetectorSettings, MODEL_VERSION } from './detector.ts';
