/**
 * Where extra demand enters, and when more requests are evidence at all.
 * Pure: evidence in, verdict out.
 *
 * rank.ts ranks the service where a surge enters first for the anomaly of a
 * service loaded by it (a datastore slowed by its caller's surge). It finds
 * that service by walking up through callers that also receive more
 * requests than their baselines expect. But "more than the baseline" is
 * only as good as the baseline: one learned during a warm-up on a busy host
 * (its load generator sent half its rate, requests timed out) makes the
 * normal demand of a quieter host later 1.5 times "more than usual" in
 * every service at once, and the walk then ended at the entry service: in
 * the bench, a memory leak on gateway ranked frontend first ("where the
 * extra demand enters") and no playbook acted on gateway.
 *
 * A surge enters a specific service when that service receives more extra
 * demand than reaches it through its caller: its rise (observed requests
 * over what its baseline expects) is at least {@link SPECIFIC_DEMAND_RATIO}
 * times its caller's rise. The demand entering the system at its edge (a
 * service that no known service calls, where the users' requests arrive) is
 * the users' demand: when it rose, every service below it rises by as much,
 * and that uniform rise enters at no service in particular; each service
 * that cannot take it is a place to act on (scale out), not a symptom of
 * the edge. So along the walk's chain (the loaded service, its caller, ...,
 * the highest caller with extra demand), the entry is the first service,
 * going up, whose rise is specific: above its caller's by the ratio, or, at
 * the top of the chain, one whose callers receive no extra demand (the
 * surge was sent to it). When that is the loaded service itself, the surge
 * is its own; a chain whose rises are uniform up to the edge has no entry.
 * Where a rise is unknown (evidence of another detector instance that has
 * no ratio), the walk's highest service is the entry, as before.
 */

import type { RankInput } from './rank.ts';

/** A service's rise is specific when it is at least this many times its caller's (the factor by which the detector calls a rate extra demand). */
export const SPECIFIC_DEMAND_RATIO = 1.5;

/** Whether `service` is an edge: no service with evidence calls it. */
function isEdge(service: string, input: RankInput): boolean {
  for (const s of input.evidence.keys()) if (s !== service && input.callees(s).includes(service)) return false;
  return true;
}

/**
 * The service where the extra demand on `chain[0]` enters (see the module
 * comment), given the chain of callers with extra demand walked up from it
 * (`chain[0]` the loaded service, each next one a caller of the one before):
 * going up the chain, the first service whose rise is specific (most of
 * its extra demand does not come through its caller). Undefined when the
 * chain has no caller, when that first service is `chain[0]` itself (a
 * surge sent to it: its own), or when the rises are uniform up to the edge.
 */
export function demandEntry(chain: readonly string[], input: RankInput): string | undefined {
  if (chain.length < 2) return undefined;
  const rise = chain.map((s) => input.evidence.get(s)?.demandRatio);
  if (rise.some((r) => r === undefined || !Number.isFinite(r))) return chain[chain.length - 1];
  const top = chain.length - 1;
  for (let i = 0; i < top; i++) if ((rise[i] as number) >= SPECIFIC_DEMAND_RATIO * (rise[i + 1] as number)) return i === 0 ? undefined : chain[i];
  // Uniform up to the top: the demand enters there, unless the top is the edge (the users' demand, entering no service in particular).
  return isEdge(chain[top] as string, input) ? undefined : chain[top];
}
