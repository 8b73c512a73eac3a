/**
 * Where requests pile up: the deepest exhausted pool. Pure.
 *
 * A request that waits for a connection of an exhausted pool ends its span,
 * and is counted, only when it gets one or times out, so in the first
 * seconds of a hang the service whose pool is exhausted looks quiet (fewer
 * requests) while every caller above it fills up with requests in flight:
 * the first warning comes from a caller's runtime metrics (active handles
 * rising), often two or three hops up. What does show at once is the pool
 * itself: the OpenTelemetry semantic conventions' `db.client.connection.pending_requests`
 * (requests waiting for a connection, reported by pg-pool's instrumentation
 * and by the demo services) is above 0 only while no connection is free.
 *
 * A caller whose slots are all held by requests waiting downstream shows an
 * exhausted pool too, so the pile-up points down the call graph: from any
 * exhausted pool at or below the anomalous service, the walk steps to a
 * callee whose pool is exhausted as well, else to the callee the service
 * waits for (its added wait concentrated there, or its calls stalled: see
 * waited-callee.ts; a slow callee fills its callers' pools without filling
 * its own), and stops where neither is: that service holds the requests
 * itself. So a leaked pool in a datastore ranks the datastore first for
 * every caller above it, and a leaked pool in the middle service ranks that
 * service (its datastore then receives fewer requests and waits for none).
 */

import type { RankedCause, RankInput, ServiceEvidence } from './rank.ts';
import { waitedCallee } from './waited-callee.ts';

/** Requests waiting for a connection (mean over the window) from which a pool counts as exhausted. */
export const PENDING_LEVEL = 1;

/** The service where requests pile up, the path to it from the first exhausted pool, and its waiting requests. */
export interface PileUp {
  origin: string;
  /** From the first exhausted pool found below the target (or the target itself) down to the origin. */
  path: string[];
  /** Requests waiting for a connection at the origin (mean over its latest window); 0 when it reports no pool but is waited for. */
  pending: number;
  /** Calls from the target down to the origin. */
  hops: number;
}

/** Whether the service's pool is exhausted (requests wait for a connection, more than usual). */
export function poolExhausted(ev: ServiceEvidence | undefined): boolean {
  return ev?.poolSaturated === true && (ev.poolPending ?? 0) >= PENDING_LEVEL;
}

/** Services at most `maxDepth` calls below `target`, with their hops (the target at 0). */
function below(target: string, input: RankInput, maxDepth: number): Map<string, number> {
  const seen = new Map([[target, 0]]);
  let frontier = [target];
  for (let hops = 1; hops <= maxDepth && frontier.length > 0; hops++) {
    const next: string[] = [];
    for (const s of frontier) {
      for (const c of input.callees(s)) {
        if (seen.has(c)) continue;
        seen.set(c, hops);
        next.push(c);
      }
    }
    frontier = next;
  }
  return seen;
}

/** From an exhausted pool down to where the requests are held (see the module's comment). */
function descend(from: string, input: RankInput, reached: ReadonlyMap<string, number>): string[] {
  const path = [from];
  for (let at = from; ; ) {
    const exhausted = input
      .callees(at)
      .filter((c) => reached.has(c) && !path.includes(c) && poolExhausted(input.evidence.get(c)))
      .sort((a, b) => (input.evidence.get(b)?.poolPending ?? 0) - (input.evidence.get(a)?.poolPending ?? 0) || a.localeCompare(b))[0];
    const waited = waitedCallee(at, input.evidence)?.callee;
    const next = exhausted ?? (waited !== undefined && reached.has(waited) && !path.includes(waited) ? waited : undefined);
    if (next === undefined) return path;
    path.push(next);
    at = next;
  }
}

/**
 * The service where requests pile up below (or at) `target`: the deepest end
 * of the walks down from each exhausted pool the target reaches (the most
 * waiting requests on a tie). Undefined when no pool there is exhausted, or
 * when `held` says the deepest end does not hold the requests itself (the
 * ranking: its pool is filled by a surge that entered above it).
 */
export function pileUpOrigin(target: string, input: RankInput, held: (service: string) => boolean = () => true): PileUp | undefined {
  const reached = below(target, input, input.maxDepth ?? 4);
  let best: { path: string[]; hops: number; pending: number } | undefined;
  for (const s of reached.keys()) {
    if (!poolExhausted(input.evidence.get(s))) continue;
    const path = descend(s, input, reached);
    const origin = path[path.length - 1] as string;
    const hops = reached.get(origin) ?? 0;
    const pending = input.evidence.get(origin)?.poolPending ?? 0;
    if (!best || hops > best.hops || (hops === best.hops && pending > best.pending)) best = { path, hops, pending };
  }
  const origin = best?.path[best.path.length - 1];
  return best && origin !== undefined && held(origin) ? { origin, ...best } : undefined;
}

/** Whether `to` is `from` or below it in the call graph (at most `maxDepth` calls down). */
export function reaches(from: string, to: string, input: RankInput): boolean {
  return below(from, input, input.maxDepth ?? 4).has(to);
}

/** Why the origin goes first, for the ranked cause's reason. */
export function pileUpReason(target: string, p: PileUp): string {
  const at = p.origin === target ? 'its own' : `${p.origin}'s`;
  const chain = p.path.length > 1 ? ` (the pile-up goes down ${p.path.join(' -> ')})` : '';
  const waiting = p.pending > 0 ? `requests wait for a connection of ${at} pool (${Math.round(p.pending * 10) / 10} on average)` : `${p.origin} is waited for`;
  return `${waiting}: requests pile up there${chain}, so the services above it fill with requests in flight`;
}

/**
 * `ranked` with the pile-up's origin first, or undefined when no pool below
 * `input.target` is exhausted (or `held` says the origin's pool was filled
 * from upstream). A service on another branch whose own requests fail is a
 * fault of its own that the pile-up does not explain (two faults at once):
 * it keeps first place and the pile-up comes second.
 */
export function pileUpFirst(input: RankInput, ranked: readonly RankedCause[], held: (service: string) => boolean): RankedCause[] | undefined {
  const pile = pileUpOrigin(input.target, input, held);
  if (pile === undefined) return undefined;
  const top = Math.max(0.5, ...ranked.map((r) => r.score));
  const first = { service: pile.origin, score: Math.round(Math.min(1, top) * 1000) / 1000, reason: pileUpReason(input.target, pile), hops: pile.hops };
  const rest = ranked.filter((r) => r.service !== pile.origin);
  const lead = rest[0];
  const own = lead && lead.service !== input.target && !reaches(lead.service, pile.origin, input) ? input.evidence.get(lead.service) : undefined;
  const apart = (own?.serverErrorRatio ?? 0) >= (input.failingCallsLevel ?? 0.2) && (own?.score ?? 0) >= (input.anomalousLevel ?? 0.5);
  return apart && lead ? [lead, first, ...rest.slice(1)] : [first, ...rest];
}
