/**
 * Demand lost upstream. Pure: evidence in, verdict out.
 *
 * A service whose callers fail their own requests often stops calling what
 * sits behind them: a frontend whose connection pool is exhausted sends the
 * gateway fewer requests, a catalog whose datastore connections are refused
 * sends products-db fewer queries. The service downstream then deviates
 * (fewer requests than its baseline expects, and the quantiles of a window
 * with a tenth of its usual requests swing), opens an episode of its own
 * and, ranked alone (nothing downstream of it explains it), was "its own
 * cause": a playbook scaled out or restarted a healthy service.
 *
 * The signature: the service receives clearly fewer requests than expected,
 * none of its own requests fail, and one of its callers is anomalous and
 * fails requests while that caller's calls to it do not fail. Then the
 * missing demand is that caller's doing, and the caller ranks first. When a
 * caller's calls to it fail, the service is unreachable or down (its own
 * fault, ranked as such by rank.ts), so this does not apply.
 */

import type { RankInput } from './rank.ts';

/** Where the demand `service` lost went missing: its most anomalous caller that fails requests, or undefined (see the module comment). */
export function lostDemandOrigin(service: string, input: RankInput): string | undefined {
  const level = input.anomalousLevel ?? 0.5;
  const failing = input.failingCallsLevel ?? 0.2;
  const ev = input.evidence.get(service);
  if (ev?.demandDown !== true || ev.errorsUp === true || (ev.serverErrorRatio ?? 0) >= failing || ev.deployedRecently === true) return undefined;
  const callers = [...input.evidence.entries()].filter(([s]) => s !== service && input.callees(s).includes(service));
  // A caller whose calls to it fail says it is unreachable: its own trouble, not the caller's.
  if (callers.some(([, c]) => (c.clientErrorRatioTo?.[service] ?? 0) >= failing)) return undefined;
  const origin = callers
    .filter(([, c]) => c.score >= level && (c.errorsUp === true || (c.serverErrorRatio ?? 0) >= failing))
    .sort(([a, x], [b, y]) => y.score - x.score || a.localeCompare(b))[0];
  return origin?.[0];
}
