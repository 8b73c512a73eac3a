/**
 * Severity of an anomalous window, from how far its features are from what
 * the service's baselines expect, in units of the baselines' spread (the
 * `deviation` of the evidence): the size of the deviation, not the score,
 * which saturates near 1 and mixes in the likelihood. A window without
 * evidence (e.g. the quiet window that closes an episode) is `info`; so is
 * every window of a service whose models are still warming up, since their
 * spread is not yet known well enough to call anything critical.
 *
 * Severity follows the symptoms: what the service's clients feel (its
 * traffic, errors, latency and error logs). Its resource and runtime
 * measurements (`metric:*`: GC, event-loop delay, heap, CPU) are evidence
 * that helps explain an anomaly, but they move with the machine's load as
 * much as with a fault, so on their own they keep a window `info`. Only a
 * service that has never reported a symptom feature (metrics only) has its
 * severity follow its metrics.
 */
import type { Evidence, Severity } from './outputs.ts';

/** Deviation (in spreads of the baseline) at or above which a window is `warning`. */
export const WARNING_DEVIATION = 5;
/** Deviation (in spreads of the baseline) at or above which a window is `critical`. */
export const CRITICAL_DEVIATION = 8;

/** Largest absolute deviation of `evidence` (0 when empty). */
export function largestDeviation(evidence: readonly Evidence[]): number {
  let worst = 0;
  for (const e of evidence) if (Number.isFinite(e.deviation) && Math.abs(e.deviation) > worst) worst = Math.abs(e.deviation);
  return worst;
}

/** Whether `feature` is a symptom the service's clients feel: traffic, errors, latency, warning/error/fatal logs (not `metric:*`, not other log levels). */
export function isSymptomFeature(feature: string): boolean {
  if (feature.startsWith('metric:')) return false;
  if (feature.startsWith('log_')) return /error|fatal|warn/.test(feature);
  return true;
}

/**
 * The deviation a window's severity follows: the largest among its symptom
 * evidence when the service reports symptom features (`reportsSymptoms`:
 * it has ever sent spans or warning/error logs, so a window whose spans came
 * late is judged the same way), else among all its evidence (a service that
 * reports only metrics).
 */
export function severityDeviation(evidence: readonly Evidence[], reportsSymptoms: boolean): number {
  if (!reportsSymptoms) return largestDeviation(evidence);
  return largestDeviation(evidence.filter((e) => isSymptomFeature(e.feature)));
}

/** Severity of a window whose largest deviation is `deviation` spreads; `info` while `warmingUp`. */
export function severityOfDeviation(deviation: number, warmingUp: boolean): Severity {
  if (warmingUp) return 'info';
  return deviation >= CRITICAL_DEVIATION ? 'critical' : deviation >= WARNING_DEVIATION ? 'warning' : 'info';
}

/** Growth of the largest deviation that is beyond noise whatever its size, in spreads (a window's own noise is about one). */
export const GROWTH_SPREADS = 3;
/** Relative growth of the largest deviation that is beyond noise (a fault tens of spreads out varies by more than 3 by itself). */
export const GROWTH_SHARE = 0.25;

/**
 * Whether a deviation grew beyond noise from `before` to `after` (both in
 * spreads): by more than {@link GROWTH_SPREADS} and more than
 * {@link GROWTH_SHARE} of `before`. The executor's verify step judges
 * `made_worse` by the same rule (services/executor/steps/wait-verify-step.ts).
 */
export function deviationGrew(before: number, after: number): boolean {
  const growth = after - before;
  return growth > GROWTH_SPREADS && growth > GROWTH_SHARE * before;
}

/** Rank of a severity (0 info, 1 warning, 2 critical), for "did it get worse" comparisons. */
export function severityRank(s: Severity | string): number {
  return s === 'critical' ? 2 : s === 'warning' ? 1 : 0;
}
