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
 * The error ratio's spread counts at most this much when judging severity
 * (an absolute share of requests). A baseline learned while failures were
 * routine (a warm-up on a host loaded enough for timeouts) has a wide
 * spread, and 60 % of requests failing against its usual few % came out 4
 * spreads, `info`. However noisy its history, a rise of the failing share by
 * {@link WARNING_DEVIATION} x 5 = 25 points is a `warning`, by
 * {@link CRITICAL_DEVIATION} x 5 = 40 points `critical`, provided their count
 * is beyond chance (see {@link errorRatioSeverity}).
 */
export const ERROR_RATIO_SPREAD_CEILING = 0.05;

/**
 * Smallest baseline error ratio assumed when counting failures against
 * chance: a service that normally fails nothing still loses the odd request
 * (a client gone, a timeout), and with a rate of 0 a single failure would be
 * infinitely unlikely. The same value as the error ratio's smallest spread in
 * the seasonal scorer.
 */
export const MIN_BASELINE_ERROR_RATIO = 0.02;

/** The expected ratio failures are counted against: `expected` kept within [{@link MIN_BASELINE_ERROR_RATIO}, 1 - it]. */
export function chanceRatio(expected: number): number {
  return Math.min(1 - MIN_BASELINE_ERROR_RATIO, Math.max(MIN_BASELINE_ERROR_RATIO, expected));
}

/**
 * The deviation of a share of requests that failed (bad upward) in a window
 * of `requests` requests, in standard deviations of what such a window's
 * share varies by: the baseline's `spread` (how the share varies from window
 * to window) and, on top of it, the binomial noise of that many requests
 * around the expected share (a beta-binomial's variance: spread^2 + p(1-p)/n,
 * with p the expected share, at least {@link MIN_BASELINE_ERROR_RATIO}, as
 * severity counts a run's failures, share-run.ts `shareRunZ`), with the same continuity correction of
 * half a request. A window of many requests reads its spread deviation; one
 * of a few reads about its binomial z, as far as its count can show: 7
 * failed of 7 against 0 +/- 2 % is 16 deviations, not 50 spreads, 1 of 9 is
 * 1.1, and 700 of 1000 against 5 % +/- 2 % is 31 (its spread deviation 32.5).
 * Without a count (`requests` not above 0), the spread deviation; never below 0.
 */
export function countedShareDeviation(observed: number, expected: number, spread: number, requests: number): number {
  if (!(requests > 0)) return (observed - expected) / spread;
  const p0 = chanceRatio(expected);
  return Math.max(0, (observed - expected - 0.5 / requests) / Math.sqrt(spread * spread + (p0 * (1 - p0)) / requests));
}

/**
 * The deviation an error-ratio evidence counts for in severity: its spread
 * deviation with the spread at most {@link ERROR_RATIO_SPREAD_CEILING}, but
 * never more than the failures' distance from chance (`failureZ`: the
 * failures of the error ratio's run of windows above its expectation so far,
 * share-run.ts `shareRunZ`). So 1 failed request of 9 does not page whatever its ratio (about one
 * binomial deviation), while 60 % of a few dozen requests failing pages
 * however noisy the history; a sustained fault adds up its counts window
 * after window. Without a count (`failureZ` NaN) the spread deviation stands.
 */
export function errorRatioSeverity(e: Evidence, failureZ: number): number {
  if (!(e.deviation > 0)) return Math.abs(e.deviation);
  return Number.isNaN(failureZ) ? e.deviation : Math.max(0, Math.min(errorRatioSpreads(e), failureZ));
}

/**
 * The deviation of an error-ratio evidence with its spread at most
 * {@link ERROR_RATIO_SPREAD_CEILING} (its own deviation when that is larger,
 * or when the ratio fell).
 */
export function errorRatioSpreads(e: Evidence): number {
  return e.deviation > 0 ? Math.max(e.deviation, (e.observed - e.expected) / ERROR_RATIO_SPREAD_CEILING) : e.deviation;
}

/** `latency_p99_ms` -> 0.99; undefined for a feature that is no latency quantile. */
function latencyQuantile(feature: string): number | undefined {
  const m = /^latency_p(\d+)_ms$/.exec(feature);
  return m ? Number(m[1]) / 100 : undefined;
}

/**
 * Whether a window of `requests` requests resolves `feature` when it is a
 * latency quantile q: it needs at least 1 / (1 - q) requests (p95: 20, p99:
 * 100), else the quantile is just its slowest request, and one slow request
 * (a GC pause, a busy host's hiccup) is no symptom clients feel. In the
 * bench a leaf with 3 requests per window (payment) paged `critical` on its
 * p99 in fault-free time. Unknown counts (NaN) resolve every quantile.
 */
export function quantileResolved(feature: string, requests: number): boolean {
  const q = latencyQuantile(feature);
  return q === undefined || Number.isNaN(requests) || q >= 1 || requests * (1 - q) >= 1 - 1e-9;
}

/**
 * The deviation a window's severity follows: the largest among its symptom
 * evidence when the service reports symptom features (`reportsSymptoms`:
 * it has ever sent spans or warning/error logs, so a window whose spans came
 * late is judged the same way), else among all its evidence (a service that
 * reports only metrics). The error ratio counts as {@link errorRatioSeverity}
 * with `failureZ` (NaN: by its spread deviation alone); a latency quantile
 * counts only when the window's `requests` resolve it ({@link quantileResolved}).
 */
export function severityDeviation(evidence: readonly Evidence[], reportsSymptoms: boolean, failureZ = Number.NaN, requests = Number.NaN): number {
  let worst = 0;
  for (const e of evidence) {
    if (reportsSymptoms && !isSymptomFeature(e.feature)) continue;
    if (!quantileResolved(e.feature, requests)) continue;
    const d = e.feature === 'error_ratio' ? errorRatioSeverity(e, failureZ) : Math.abs(e.deviation);
    if (Number.isFinite(d) && d > worst) worst = d;
  }
  return worst;
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
