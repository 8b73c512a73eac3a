/**
 * Figures of a neural model version on a labelled set: reconstruction
 * errors of windows known to be normal and of windows inside confirmed
 * faults. The alarm threshold is the `quantile` of the normal errors (so
 * that both versions compared are held to the same false-alarm budget on
 * normal data); recall and precision follow at that threshold.
 */

/** Quality of one version on a labelled set. */
export interface LabelledFigures {
  /** Reconstruction error above which a window alarms. */
  threshold: number;
  /** Share of fault windows above the threshold (0 without fault windows). */
  recall: number;
  /** Share of alarming windows that are fault windows (1 when nothing alarms). */
  precision: number;
  /** Share of normal windows above the threshold. */
  falseAlarmRate: number;
  /** Mean error of normal windows. */
  normalMeanError: number;
  normalWindows: number;
  faultWindows: number;
}

/** The `q` quantile (0..1) of `values` (nearest rank on a sorted copy; 0 when empty). */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  const k = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[k] as number;
}

/** Figures of one version from its errors on normal and on fault windows; see the module comment. */
export function labelledFigures(normalErrors: ArrayLike<number>, faultErrors: ArrayLike<number>, q = 0.99): LabelledFigures {
  const threshold = quantile(normalErrors, q);
  let falseAlarms = 0;
  let sum = 0;
  for (let i = 0; i < normalErrors.length; i++) {
    const e = normalErrors[i] as number;
    sum += e;
    if (e > threshold) falseAlarms++;
  }
  let hits = 0;
  for (let i = 0; i < faultErrors.length; i++) if ((faultErrors[i] as number) > threshold) hits++;
  const alarms = hits + falseAlarms;
  return {
    threshold,
    recall: faultErrors.length === 0 ? 0 : hits / faultErrors.length,
    precision: alarms === 0 ? 1 : hits / alarms,
    falseAlarmRate: normalErrors.length === 0 ? 0 : falseAlarms / normalErrors.length,
    normalMeanError: normalErrors.length === 0 ? 0 : sum / normalErrors.length,
    normalWindows: normalErrors.length,
    faultWindows: faultErrors.length,
  };
}
