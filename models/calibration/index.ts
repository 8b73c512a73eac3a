/**
 * Detector recalibration from human labels (pure): per service and feature,
 * an alarm-threshold shift on the deviation scale driven toward a target
 * false-alarm rate, bounded and decaying (see calibration.ts).
 */
export {
  ALL_FEATURES,
  applyLabel,
  type CalibrationLabel,
  type CalibrationLabelKind,
  type CalibrationSettings,
  DEFAULT_CALIBRATION,
  decayedShift,
  deviationKey,
  emptyCalibration,
  type FeatureShift,
  factorOf,
  labelStep,
  MAX_NORMAL_RANGES,
  type ServiceCalibration,
  spreadFactors,
} from './calibration.ts';
