/**
 * Detector recalibration from human labels (pure).
 *
 * What it controls: the alarm threshold of each feature of a service (each
 * side of it: a deviation up and one down are calibrated apart), on the
 * deviation scale the baselines score on. The seasonal baselines model a
 * feature as Gaussian around its expectation and alarm once a window sits
 * about z_open spreads out (score 0.7, about 4.5 spreads). A calibration
 * multiplies the spread of a feature by 2^shift, so the alarm needs
 * z_open * 2^shift spreads: the probability that a normal window of that
 * feature alarms falls from P(Z > z_open) to P(Z > z_open * 2^shift). On the
 * likelihood scale (-log10 of the tail probability, about z^2 / 4.6 far in
 * the tail), one unit of shift multiplies the threshold's decades by four;
 * a negative shift lowers the threshold the same way.
 *
 * How labels move it: a stochastic-approximation (Robbins-Monro) step on the
 * shift toward a target false-alarm rate r* (the share of labelled alarms
 * that people call false positives). A false positive adds (1 - r*) steps to
 * the features the alarm rested on, a true positive takes r* steps off them,
 * and a missed anomaly takes a whole step off every feature of the service
 * (its threshold was too high: the miss is the strongest sign of it). The
 * expected change is zero exactly when the share of false positives among
 * labelled alarms is r*: with r* = 0.1, nine confirmed alarms balance one
 * false one. No threshold is searched for on data: the fixed point is the
 * target rate, the step is one doubling of the spread.
 *
 * Why it cannot silence a service: the shift of each feature is clamped to
 * [-maxShift, maxShift] (spread at most 2^maxShift times wider), only the
 * features an alarm rested on move (a false latency alarm leaves error
 * alarms as they were), and every shift decays toward zero with a half-life,
 * so a pattern that stops recurring is forgotten and the threshold returns.
 *
 * The windows of a false-positive episode also become normal data: the
 * calibration keeps their time ranges (the most recent {@link MAX_NORMAL_RANGES})
 * for the detector to feed to the service's baselines.
 */

/** Labels a calibration takes: a person's verdict on an alarm, or an alarm that did not happen. */
export type CalibrationLabelKind = 'true_positive' | 'false_positive' | 'missed';

/** One label as the calibration sees it. */
export interface CalibrationLabel {
  kind: CalibrationLabelKind;
  /**
   * What the labelled alarm rested on: {@link deviationKey}s of its evidence
   * (or plain feature names, for both sides); none: no shift moves. Ignored
   * for `missed`, which moves every feature.
   */
  features: readonly string[];
  /** When the label was given (Unix ms): the decay runs from here. */
  atMs: number;
  /** Time range of the episode (false positives: fed to the baselines as normal), Unix ms. */
  fromMs: number;
  toMs: number;
}

/** Settings of the calibration (the trainer's settings table values). */
export interface CalibrationSettings {
  /** Target share of labelled alarms that are false positives, in (0, 1). */
  targetFalseAlarmRate: number;
  /** Half-life of a shift, ms. */
  halfLifeMs: number;
  /** Largest shift of a feature, in doublings of its spread. */
  maxShift: number;
}

/** Default settings: 10% false alarms accepted, shifts halve in a week, spread at most 8x wider (or narrower). */
export const DEFAULT_CALIBRATION: CalibrationSettings = { targetFalseAlarmRate: 0.1, halfLifeMs: 7 * 24 * 3_600_000, maxShift: 3 };

/** The key of the shift every feature of a service shares (moved by `missed` labels). */
export const ALL_FEATURES = '*';

/** Most false-positive time ranges kept for the detector to learn as normal. */
export const MAX_NORMAL_RANGES = 32;

/** The shift of one feature (or of {@link ALL_FEATURES}) as of `atMs`. */
export interface FeatureShift {
  /** Doublings of the spread at `atMs` (decays from then on). */
  shift: number;
  atMs: number;
}

/** Serializable calibration of one service. */
export interface ServiceCalibration {
  /** The settings it was computed with (the detector decays shifts with the same half-life and bound). */
  settings: CalibrationSettings;
  /** Shift per feature name, and {@link ALL_FEATURES}. */
  shifts: Record<string, FeatureShift>;
  /** Labels applied, by kind. */
  counts: Record<CalibrationLabelKind, number>;
  /** Time ranges of false-positive episodes, oldest first: `[fromMs, toMs]`. */
  normalRanges: [number, number][];
}

/** A calibration that changes nothing. */
export function emptyCalibration(settings: CalibrationSettings = DEFAULT_CALIBRATION): ServiceCalibration {
  return { settings: { ...settings }, shifts: {}, counts: { true_positive: 0, false_positive: 0, missed: 0 }, normalRanges: [] };
}

const clamp = (x: number, bound: number) => Math.max(-bound, Math.min(bound, x));

/** The shift `s` decayed to `atMs` (no growth for an earlier time). */
export function decayedShift(s: FeatureShift, atMs: number, settings: CalibrationSettings): number {
  const dt = Math.max(0, atMs - s.atMs);
  return s.shift * 2 ** (-dt / settings.halfLifeMs);
}

/** The step a label gives each feature it moves: +(1 - r*) false positive, -r* true positive, -1 missed. */
export function labelStep(kind: CalibrationLabelKind, targetFalseAlarmRate: number): number {
  if (kind === 'false_positive') return 1 - targetFalseAlarmRate;
  if (kind === 'true_positive') return -targetFalseAlarmRate;
  return -1;
}

/** `cal` with `label` applied (a new object; `cal` is left as it was). */
export function applyLabel(cal: ServiceCalibration, label: CalibrationLabel): ServiceCalibration {
  const settings = cal.settings;
  const out: ServiceCalibration = structuredClone(cal);
  const step = labelStep(label.kind, settings.targetFalseAlarmRate);
  // An alarm's label moves only the features it rested on (none known: none moved); a miss moves them all.
  const keys = label.kind === 'missed' ? [ALL_FEATURES] : [...new Set(label.features)];
  for (const k of keys) {
    const prev = out.shifts[k];
    const at = Math.max(label.atMs, prev?.atMs ?? label.atMs);
    const now = prev ? decayedShift(prev, at, settings) : 0;
    out.shifts[k] = { shift: clamp(now + step, settings.maxShift), atMs: at };
  }
  out.counts[label.kind]++;
  if (label.kind === 'false_positive' && label.toMs > label.fromMs) {
    out.normalRanges.push([label.fromMs, label.toMs]);
    if (out.normalRanges.length > MAX_NORMAL_RANGES) out.normalRanges.splice(0, out.normalRanges.length - MAX_NORMAL_RANGES);
  }
  return out;
}

/**
 * The spread factor of each calibrated feature at `atMs`: 2^(shift of the
 * feature + shift of every feature), the sum clamped to the bound. A feature
 * not listed takes the factor of {@link ALL_FEATURES} (1 when absent).
 */
export function spreadFactors(cal: ServiceCalibration, atMs: number): Record<string, number> {
  const { settings } = cal;
  const all = cal.shifts[ALL_FEATURES];
  const base = all ? decayedShift(all, atMs, settings) : 0;
  const out: Record<string, number> = { [ALL_FEATURES]: 2 ** clamp(base, settings.maxShift) };
  for (const [k, s] of Object.entries(cal.shifts)) {
    if (k === ALL_FEATURES) continue;
    out[k] = 2 ** clamp(base + decayedShift(s, atMs, settings), settings.maxShift);
  }
  return out;
}

/**
 * The calibration key of a deviation of `feature`: the feature and the side
 * it deviated to (`latency_p95_ms+`, `request_rate-`). A harmless traffic
 * spike then widens the upper side of `request_rate` only, and a real drop
 * of traffic alarms as before.
 */
export function deviationKey(feature: string, deviation: number): string {
  return `${feature}${deviation < 0 ? '-' : '+'}`;
}

/**
 * The factor of a deviation of `feature` to the side of `deviation` in
 * `factors` (from {@link spreadFactors}): that side's key, else the
 * feature's, else {@link ALL_FEATURES}'s, else 1.
 */
export function factorOf(factors: Readonly<Record<string, number>>, feature: string, deviation = 1): number {
  return factors[deviationKey(feature, deviation)] ?? factors[feature] ?? factors[ALL_FEATURES] ?? 1;
}
