/**
 * How a service's per-feature surprises become one service score.
 *
 * Each feature's deviation is first judged by that feature's own history of
 * deviations in quiet windows (its tail frequency p, see
 * tail-calibration.ts): a metric that routinely strays far from its
 * baseline is not surprising when it does, one that never moved is. The
 * service then asks two questions of its k scored features, as two classic
 * combinations of p-values do:
 *
 * - is one feature alone far beyond its history? (Tippett: the smallest p,
 *   corrected for having looked at k features: 1 - (1 - p_min)^k, k
 *   counting the features at risk of giving it: every resource metric, and
 *   the symptom features in their tail, whose spread floors keep their p at
 *   1 nearly always);
 * - are several features unusual together, none of them extreme? (Fisher:
 *   S = sum of -ln p_i; for independent uniform p values 2S is chi-square
 *   with 2k degrees of freedom, so P = e^-S * sum_{j<k} S^j / j!).
 *
 * In the joint question each feature's surprise is bounded by what its
 * history can attest (one in the windows it has seen, see
 * `TailCalibration.logRarest`): a deviation of a million spreads of a
 * metric that is almost always 0 (its spread is the floor) weighs as "never
 * seen", not as a million spreads. Features of one service are not
 * independent (a request rate and the CPU it costs move together), so
 * Fisher's p is read as a deviation and judged in turn by the service's own
 * history of it (its joint tail, learned from quiet windows only). In the
 * single-feature question the symptom features (errors, latency, traffic,
 * error logs: their spreads have floors with a meaning) keep their full
 * surprise, so one of them far off alarms at once, while a resource metric
 * (`metric:*`, spread floor 1e-6) alarms alone only as far as its history
 * attests.
 *
 * The window's p is twice the smaller of the two answers (a Bonferroni
 * correction for asking both; for a single feature both are its own p),
 * mapped to the Gaussian deviation of that tail
 * and from there to the usual [0, 1] score (`deviationToScore`, z50 spreads
 * at 0.5). So the service score reads as a false-alarm rate per window,
 * whatever the number of features the service reports (a maximum over
 * features alarms more often the more features there are), and it keeps its
 * ranking: everything is computed in log space and the deviation grows like
 * sqrt(2 ln(1/p)), so windows do not tie at a score of exactly 1 as they did
 * when a deviation of 1e5 spreads went straight into the score.
 */
import type { Surprise } from './seasonal-scorer.ts';

/** The combination's choices as plain data (versioned with the baselines, see baseline-params.ts). */
export function combinationParameters(): Record<string, unknown> {
  return {
    single: 'tippett over the features at risk (every metric:*, symptom features in their tail)',
    joint: 'fisher, judged by the service history of it',
    bounded: 'metric:* alone and every feature in the joint: history-attested, then log of the excess',
    dailyPattern: 'episode windows also in an episode one day before are learned',
  };
}

/** ln(j!) for j < 64 (features per service are at most a few tens). */
const LN_FACTORIAL = (() => {
  const out = new Float64Array(64);
  for (let j = 1; j < out.length; j++) out[j] = (out[j - 1] as number) + Math.log(j);
  return out;
})();

/** ln P(Gamma(k, 1) > s): the log p-value of Fisher's statistic `s` (sum of -ln p) over `k` p-values. */
export function fisherLogP(s: number, k: number): number {
  if (k <= 0 || !(s > 0)) return 0;
  const n = Math.min(k, LN_FACTORIAL.length);
  const lnS = Math.log(s);
  // log-sum-exp of j ln s - ln j! for j < k; the largest term is near j = s.
  let top = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < n; j++) top = Math.max(top, j * lnS - (LN_FACTORIAL[j] as number));
  let acc = 0;
  for (let j = 0; j < n; j++) acc += Math.exp(j * lnS - (LN_FACTORIAL[j] as number) - top);
  return Math.min(0, -s + top + Math.log(acc));
}

/** ln(1 - (1 - p)^k) for p = e^lnP: the log p-value of the smallest of `k` p-values (Tippett). */
export function tippettLogP(lnP: number, k: number): number {
  if (k <= 0 || !(lnP < 0)) return 0;
  // For a tiny p, 1 - (1 - p)^k is k p to within double precision.
  if (lnP < -30) return lnP + Math.log(k);
  return Math.log(-Math.expm1(k * Math.log1p(-Math.exp(lnP))));
}

/** The Gaussian deviation whose upper tail is e^lnP (Abramowitz and Stegun 26.2.23 in log form; 0 for p >= 0.5). */
export function deviationOfLogTail(lnP: number): number {
  if (!(lnP < -Math.LN2)) return 0;
  if (lnP === Number.NEGATIVE_INFINITY) return Number.POSITIVE_INFINITY;
  const t = Math.sqrt(-2 * lnP);
  return t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t);
}

/**
 * The joint deviation of a window: the Gaussian deviation (two-sided, as the
 * features' are) of Fisher's p over its features' surprises; 0 when none
 * was scored.
 */
export function jointDeviation(s: Readonly<Surprise>): number {
  return deviationOfLogTail(fisherLogP(s.sum, s.count) - Math.LN2);
}

/**
 * The service deviation of a window from its features' surprises `s` and
 * `lnJoint`, the log tail frequency of its joint deviation among the
 * service's own past (see the module comment): twice the smaller p of the
 * joint and the single-feature question, as a two-sided Gaussian deviation.
 */
export function serviceDeviation(s: Readonly<Surprise>, lnJoint: number): number {
  if (s.count <= 0) return 0;
  // The single-feature question corrects for the features at risk of giving the smallest p (`Surprise.tail`): every
  // resource metric (its spread is its data's, its p near uniform), but only the symptom features that were in their
  // tail (at least a spread off in their bad direction): their spread floors keep their p at 1 nearly always, so
  // counting all of them corrected for tests never at risk (a lone latency 3.4 spreads off scored as 2.9 and a slow
  // creep opened nothing). One feature at risk asks one question (both combinations are then its own p, as for a
  // service with one feature): no correction for asking two.
  const k = Math.max(1, s.tail ?? s.count);
  const lnP = Math.min(0, Math.min(lnJoint, tippettLogP(-s.max, k)) + (k > 1 ? Math.LN2 : 0));
  return deviationOfLogTail(lnP - Math.LN2);
}
