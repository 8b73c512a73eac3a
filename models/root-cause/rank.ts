/**
 * Root-cause ranking over the call graph. Pure: evidence in, ranked
 * candidates out. The ideas, after MicroRank, TraceRCA and BARO:
 *
 * - Walk the whole graph downstream of the anomalous service (not only its
 *   direct callees): a fault two hops down shows first in the callee's
 *   callee.
 * - A candidate whose anomaly no anomalous callee explains is where the
 *   fault originates; one whose callees went anomalous no later than it did
 *   is a symptom of them.
 * - Errors say where they originate: a callee whose own server spans fail is
 *   an origin; a callee whose callers' client spans to it fail while it
 *   reports no failing server spans (or none at all) is unreachable or down,
 *   which is also an origin, even though its own telemetry looks quiet.
 * - Errors are explained only by errors: a caller whose own server spans
 *   fail is a symptom of a callee only where requests fail too (its server
 *   spans, or the calls to it); a callee that is merely slow explains its
 *   callers' slowness, not their failures.
 * - Earlier deviation ranks higher; the time scale is the window length.
 *
 * The ranking looks only at the evidence given (every service's latest
 * score and episode start), never at the order in which incidents were
 * written, so caller and callee failing in one window rank the same either
 * way.
 *
 * A service that receives more requests than usual while one of its callers
 * does too is loaded from upstream (a surge that entered there): its
 * slowness or shedding is the demand's, not a fault of its own. It explains
 * no caller's anomaly, and its own anomaly ranks the service where the extra
 * demand enters first, so that a playbook does not restart a datastore that
 * its caller's surge slowed down.
 *
 * A fleet-wide slowdown (many services slower at once, no errors, in places
 * no call explains) is one shared cause, ranked first for each service that
 * only slowed with it (see shared-cause.ts), and none of those services
 * explains a caller's anomaly.
 *
 * A service that is only slower, and whose added time is mostly its
 * callee's added time (it waits for the callee), ranks the service
 * downstream where the added time originates first (see
 * inherited-latency.ts), whenever each one's episode opened. A service
 * that receives fewer requests than usual because a caller of it fails its
 * own ranks that caller first (see lost-demand.ts).
 *
 * Requests that pile up on an exhausted pool rank the deepest exhausted pool
 * first, for every service above it (see pool-pileup.ts): its stuck requests
 * have no span yet while its callers already fill up.
 *
 * A callee that an anomalous caller waits for (its added wait concentrated
 * on that callee, or its calls stalled) while the callee's own server spans
 * do not show it is a candidate on the caller's evidence, as a callee whose
 * calls fail is: it deviated when the caller did, it is not merely quiet
 * (lost traffic, slowed with the fleet), and a stalled callee explains its
 * callers' failures too (see waited-callee.ts).
 */

import { demandEntry } from './demand-entry.ts';
import { inheritedReason, latencyOrigin } from './inherited-latency.ts';
import { lostDemandOrigin } from './lost-demand.ts';
import { pileUpFirst } from './pool-pileup.ts';
import { SHARED_CAUSE, type SharedCauseOptions, type SharedSlowdown, sharedSlowdown } from './shared-cause.ts';
import { type CallWait, waitedBy, waitedCallee, waitPhrase } from './waited-callee.ts';

/** What is known about one service when ranking. */
export interface ServiceEvidence {
  /** Anomaly score of its latest window or open episode, in [0, 1]; 0 when normal. */
  score: number;
  /** When its current episode opened, Unix ms; undefined when it has none. */
  openedAtMs?: number;
  /** Share of its own server spans that failed in its latest window, in [0, 1]. */
  serverErrorRatio?: number;
  /** Per callee: share of its client calls to that callee that failed in its latest window, in [0, 1]. */
  clientErrorRatioTo?: Record<string, number>;
  /**
   * Its only deviation is fewer requests than expected (no errors, no
   * slowness): its callers stopped calling it. That is a consequence of
   * trouble upstream, so it explains no caller's anomaly.
   */
  lostTraffic?: boolean;
  /**
   * Its only deviations are in its own resource or runtime metrics (GC,
   * event loop, heap) while its traffic, errors and latency are as expected:
   * its callers feel nothing of it, so it explains no caller's anomaly.
   */
  resourceOnly?: boolean;
  /**
   * Its deviation is only slower answers or its runtime metrics (no failing
   * requests, no error logs, no lost traffic): what a host short of CPU does
   * to every service on it. See {@link sharedSlowdown}.
   */
  slowOnly?: boolean;
  /** Largest deviation of its evidence, in spreads of its baseline (to tell one service far slower than the rest). */
  deviation?: number;
  /** Its error ratio (or error logs) rose beyond its baseline in its latest window, however small the share. */
  errorsUp?: boolean;
  /** It was deployed (a new `service.version`) in the last few windows: a change is a cause of its own. */
  deployedRecently?: boolean;
  /** It receives clearly more requests than its baseline expects (demand; not an anomaly by itself). */
  demandUp?: boolean;
  /** Requests it received over what its baseline expects (its demand's rise; see demand-entry.ts); undefined when unknown. */
  demandRatio?: number;
  /**
   * Per latency feature (`latency_p50_ms`, `latency_p95_ms`, ...): how much
   * slower its latest window with requests answered than its baseline
   * expected, ms (negative: faster). See inherited-latency.ts.
   */
  latencyRiseMs?: Readonly<Record<string, number>>;
  /** It receives clearly fewer requests than its baseline expects (see lost-demand.ts). */
  demandDown?: boolean;
  /** Its latency feature that deviates most (in spreads) when its latency deviates upward, e.g. `latency_p95_ms`. */
  slowestFeature?: string;
  /**
   * Per callee it calls (named by its client spans' `peer.service`): how long
   * its calls to that callee took in its latest window and what their own
   * baseline expected, per latency feature, ms (see waited-callee.ts).
   */
  callWaits?: Readonly<Record<string, CallWait>>;
  /** Requests waiting for a connection of its pool, mean over its latest window (`db.client.connection.pending_requests`); undefined when it reports none. */
  poolPending?: number;
  /** Its pool is exhausted beyond what is usual for it: requests wait for a connection, more than its baseline expects (see pool-pileup.ts). */
  poolSaturated?: boolean;
}

/** Input of {@link rankRootCauses}. */
export interface RankInput {
  /** The service whose anomaly is being explained. */
  target: string;
  /** Callees of a service seen recently in traces. */
  callees(service: string): readonly string[];
  /** Evidence per service; services missing here count as normal. */
  evidence: ReadonlyMap<string, ServiceEvidence>;
  /** Score from which a service counts as anomalous. Default 0.5. */
  anomalousLevel?: number;
  /** Share of failing client calls from which a callee counts as failing its callers. Default 0.2. */
  failingCallsLevel?: number;
  /** Time scale of "earlier" (about one detector window), ms. Default 10,000. */
  windowMs?: number;
  /** Hops followed downstream. Default 4. */
  maxDepth?: number;
  /** When a fleet-wide slowdown counts as one shared cause (see {@link sharedSlowdown}). */
  shared?: SharedCauseOptions;
}

/** A ranked candidate: the service, a score in [0, 1], why, and how far downstream of the target it is. */
export interface RankedCause {
  service: string;
  score: number;
  reason: string;
  hops: number;
}

interface Node {
  service: string;
  hops: number;
  /** The caller it was reached from (undefined for the target). */
  via?: string;
}

/** Breadth-first walk downstream of `target`, each service once at its fewest hops. */
function reach(input: RankInput, maxDepth: number): Map<string, Node> {
  const seen = new Map<string, Node>([[input.target, { service: input.target, hops: 0 }]]);
  let frontier = [input.target];
  for (let hops = 1; hops <= maxDepth && frontier.length > 0; hops++) {
    const next: string[] = [];
    for (const s of frontier) {
      for (const c of input.callees(s)) {
        if (seen.has(c)) continue;
        seen.set(c, { service: c, hops, via: s });
        next.push(c);
      }
    }
    frontier = next;
  }
  return seen;
}

/** Worst share of failing calls that any reached caller sees to `service`, and which caller sees it. */
function failingCalls(service: string, reached: Map<string, Node>, input: RankInput): { ratio: number; caller?: string } {
  let best: { ratio: number; caller?: string } = { ratio: 0 };
  for (const caller of reached.keys()) {
    const r = input.evidence.get(caller)?.clientErrorRatioTo?.[service] ?? 0;
    if (r > best.ratio) best = { ratio: r, caller };
  }
  return best;
}

/** The services that call `service`, among those with evidence. */
function callersOf(service: string, input: RankInput): string[] {
  return [...input.evidence.keys()].filter((s) => s !== service && input.callees(s).includes(service));
}

/**
 * Where the extra demand on `service` comes from: walking up through callers
 * that also receive more requests than usual (the likeliest first: the most
 * anomalous), the one where a surge entered (demand-entry.ts: where the rise
 * is specific, not the users' demand rising uniformly from the edge).
 * Undefined when `service` receives no extra demand, none of its callers
 * does, no caller is where it enters, or it was just deployed (a change of
 * its own to blame).
 */
export function demandOrigin(service: string, input: RankInput): string | undefined {
  const ev = input.evidence.get(service);
  if (ev?.demandUp !== true || ev.deployedRecently === true) return undefined;
  const seen = new Set([service]);
  const chain = [service];
  let at = service;
  for (let hop = 0; hop < (input.maxDepth ?? 4); hop++) {
    const up = callersOf(at, input)
      .filter((c) => !seen.has(c) && input.evidence.get(c)?.demandUp === true)
      .sort((a, b) => (input.evidence.get(b)?.score ?? 0) - (input.evidence.get(a)?.score ?? 0) || a.localeCompare(b))[0];
    if (up === undefined) break;
    seen.add(up);
    chain.push(up);
    at = up;
  }
  return demandEntry(chain, input);
}

interface Candidate {
  service: string;
  hops: number;
  strength: number;
  openedAtMs: number;
  why: string;
  /** Its only deviation is lost traffic or its own runtime metrics: never an explanation of a caller. */
  explainsNothing?: boolean;
  /** Requests fail at it: its own server spans, or its callers' calls to it. */
  failing: boolean;
}

/** Weight of a service whose only deviation is lost traffic or its runtime metrics (the same discount as a symptom). */
const QUIET_TO_CALLERS_WEIGHT = 0.35;

/**
 * The candidate that `node` is, if any. `before` holds the candidates of the
 * services reached before it (fewer hops): a callee waited for takes the
 * clock of its waiting caller's candidate.
 */
function candidateOf(
  node: Node,
  input: RankInput,
  reached: Map<string, Node>,
  now: number,
  before: ReadonlyMap<string, Candidate>,
  shared?: SharedSlowdown,
): Candidate | undefined {
  const level = input.anomalousLevel ?? 0.5;
  const ev = input.evidence.get(node.service);
  const own = ev && ev.score >= level ? ev.score : 0;
  const calls = failingCalls(node.service, reached, input);
  const ownErrors = ev?.serverErrorRatio ?? 0;
  const unreachable = calls.ratio >= (input.failingCallsLevel ?? 0.2) && ownErrors < calls.ratio / 2;
  // Waited for by an anomalous caller while its own spans do not (yet) show the added time.
  const waitedFor = unreachable ? undefined : waitedBy(node.service, reached.keys(), input);
  const waiterScore = waitedFor ? (input.evidence.get(waitedFor.caller)?.score ?? 0) : 0;
  const waited = waitedFor && waiterScore >= level ? waitedFor : undefined;
  if (own === 0 && !unreachable && !waited) return undefined;
  const why = unreachable
    ? `${calls.caller}'s calls to it fail (${Math.round(calls.ratio * 100)}%) while its own server spans ${ev ? `fail ${Math.round(ownErrors * 100)}%` : 'are missing'}: unreachable or down`
    : ownErrors >= (input.failingCallsLevel ?? 0.2)
      ? `its own server spans fail (${Math.round(ownErrors * 100)}%)`
      : waited
        ? waitPhrase(waited)
        : `anomalous (score ${own.toFixed(2)})`;
  // A down service may report nothing: its trouble started when its callers' calls began to fail.
  // So may a stalled one: its trouble started when its callers began to wait.
  const callerOpened =
    unreachable && calls.caller
      ? input.evidence.get(calls.caller)?.openedAtMs
      : waited
        ? (before.get(waited.caller)?.openedAtMs ?? input.evidence.get(waited.caller)?.openedAtMs)
        : undefined;
  const openedAtMs = Math.min(ev?.openedAtMs ?? now, callerOpened ?? now);
  // Loaded from upstream: more requests than usual, as its callers receive too (a surge above it).
  const loadedBy = demandOrigin(node.service, input);
  // A callee waited for is not quiet: its spans that have not ended yet are its callers' waits.
  const felt = unreachable || waited !== undefined;
  const lostTraffic = !felt && ev?.lostTraffic === true;
  const resourceOnly = !felt && !lostTraffic && ev?.resourceOnly === true;
  // Slowed with the whole fleet: the host's trouble, not something its callers feel from it alone.
  const withFleet = !felt && !lostTraffic && !resourceOnly && shared?.members.has(node.service) === true;
  const quiet = lostTraffic || resourceOnly || withFleet || loadedBy !== undefined;
  const strength = Math.max(own, unreachable ? calls.ratio : 0, waited ? waiterScore : 0) * (quiet ? QUIET_TO_CALLERS_WEIGHT : 1);
  return {
    service: node.service,
    hops: node.hops,
    strength,
    openedAtMs,
    why: loadedBy
      ? `it receives more requests than usual, as ${loadedBy} upstream does (demand from there, not a fault of its own)`
      : lostTraffic
        ? 'it only lost traffic (its callers stopped calling it)'
        : resourceOnly
          ? 'only its runtime metrics deviate (its traffic, errors and latency are as expected)'
          : withFleet
            ? 'it only slowed with the rest of the fleet (a shared cause)'
            : why,
    explainsNothing: quiet,
    // Requests stall there: a caller that waits that long fails its own (its pool fills, its callers time out).
    failing: unreachable || waited?.stalled === true || ownErrors >= (input.failingCallsLevel ?? 0.2) || (own > 0 && ev?.errorsUp === true),
  };
}

/**
 * Ranks the services that may have caused `input.target`'s anomaly, best
 * first (at most `limit`). The target itself is always a candidate; when its
 * deviation is explained by an anomalous service downstream, its reason says
 * it is a symptom of that service. `now` (Unix ms) is the caller's clock:
 * the model reads none.
 */
export function rankRootCauses(input: RankInput, limit: number, now: number): RankedCause[] {
  const windowMs = input.windowMs ?? 10_000;
  const reached = reach(input, input.maxDepth ?? 4);
  const shared = sharedSlowdown(input.evidence, input.callees, { anomalousLevel: input.anomalousLevel, ...input.shared });
  const cands = new Map<string, Candidate>();
  for (const node of reached.values()) {
    const c = candidateOf(node, input, reached, now, cands, shared);
    if (c) cands.set(c.service, c);
  }
  // When requests fail at the target, a service downstream where none fail cannot be what makes them fail.
  const targetFails = cands.get(input.target)?.failing === true;
  const cannotExplainTarget = (c: Candidate) => c.explainsNothing === true || (targetFails && !c.failing && c.service !== input.target);
  // "Earlier" is measured from the first deviation that can explain others: an old episode of runtime-metric noise sets no clock.
  // When nothing can explain the target (every other candidate only lost traffic, or deviates only in its runtime
  // metrics), the clock is the target's own: an old episode of such a service downstream does not make the target's
  // fresh deviation (a heap that starts to grow) "later" and rank it below that service.
  const clocks = [...cands.values()].filter((c) => !cannotExplainTarget(c));
  const target = cands.get(input.target);
  const fallback = target ? [target] : [...cands.values()];
  const earliest = Math.min(now, ...(clocks.length > 0 ? clocks : fallback).map((c) => c.openedAtMs));
  // A candidate is explained when one of its anomalous callees deviated no later than one window after it;
  // failing requests only by a callee where requests fail too (a callee that is merely slow explains slowness, not errors).
  const explainedBy = (c: Candidate): Candidate | undefined =>
    input
      .callees(c.service)
      .map((d) => cands.get(d))
      .filter((d): d is Candidate => d !== undefined && !d.explainsNothing && (d.failing || !c.failing) && d.openedAtMs <= c.openedAtMs + windowMs)
      .sort((a, b) => a.openedAtMs - b.openedAtMs || b.strength - a.strength)[0];
  const ranked: RankedCause[] = [];
  for (const c of cands.values()) {
    const by = explainedBy(c);
    const lag = Math.max(0, c.openedAtMs - earliest) / windowMs;
    // A service downstream that explains nothing (lost traffic, runtime metrics only) cannot be what the target
    // suffers from either: discounted once more, so that it ranks below the target itself (a CPU hog's event-loop
    // saturation ranked below an older runtime-metric episode of a datastore two hops down).
    const cannotExplain = c.service !== input.target && (c.explainsNothing === true || (targetFails && !c.failing));
    const quiet = cannotExplain ? QUIET_TO_CALLERS_WEIGHT : 1;
    const score = c.strength * quiet * (by ? 0.35 : 1) * Math.exp(-lag / 6) * (1 - 0.03 * c.hops);
    const where = c.hops === 0 ? 'the service itself' : `${c.hops} hop${c.hops > 1 ? 's' : ''} downstream`;
    const reason = by ? `${where}; a symptom: ${by.service} downstream deviated no later` : `${where}; ${c.why}; no anomalous dependency explains it`;
    ranked.push({ service: c.service, score: Math.round(Math.min(1, score) * 1000) / 1000, reason, hops: c.hops });
  }
  if (!cands.has(input.target)) {
    const own = input.evidence.get(input.target)?.score ?? 0;
    ranked.push({
      service: input.target,
      score: Math.round(own * 0.2 * 1000) / 1000,
      reason: 'the service itself (its own score is below the anomalous level)',
      hops: 0,
    });
  }
  ranked.sort((a, b) => b.score - a.score || a.hops - b.hops || a.service.localeCompare(b.service));
  if (shared?.members.has(input.target)) {
    // The shared cause goes first, above everything the walk found: the target's own slowness is the fleet's.
    const top = Math.max(0.5, ...ranked.map((r) => r.score));
    ranked.unshift({ service: SHARED_CAUSE, score: Math.round(Math.min(1, top) * 1000) / 1000, reason: shared.reason, hops: 0 });
  } else {
    // Slower only because it waits for a slower callee: the service where the added time is spent goes first. The walk
    // steps into no service that explains no caller (loaded from upstream, lost traffic, slowed with the fleet).
    // A callee that the service stepped from waits for (its own spans not showing it) is entered even when it looks quiet.
    const inherited = latencyOrigin(
      input,
      (s, from) =>
        demandOrigin(s, input) === undefined &&
        ((input.evidence.get(s)?.lostTraffic !== true && shared?.members.has(s) !== true) || waitedCallee(from, input.evidence)?.callee === s),
    );
    if (inherited) {
      const top = Math.max(0.5, ...ranked.map((r) => r.score));
      const first = {
        service: inherited.origin,
        score: Math.round(Math.min(1, top) * 1000) / 1000,
        reason: inheritedReason(inherited),
        hops: inherited.path.length - 1,
      };
      ranked.splice(0, ranked.length, first, ...ranked.filter((r) => r.service !== inherited.origin));
    }
  }
  // Requests pile up below: the deepest exhausted pool goes first, before "more requests than usual" above it
  // (held requests end in a burst that looks like demand) unless a surge filled that pool (see pool-pileup.ts).
  const piled =
    input.evidence.get(input.target)?.deployedRecently === true ? undefined : pileUpFirst(input, ranked, (s) => demandOrigin(s, input) === undefined);
  if (piled !== undefined) return piled.slice(0, limit);
  const origin = demandOrigin(input.target, input);
  if (origin !== undefined) {
    // Loaded from upstream: the service where the extra demand enters goes first (it is upstream: hops 0).
    const top = Math.max(0.5, ...ranked.map((r) => r.score));
    const reason =
      `${input.target} receives more requests than usual and so does ${origin} upstream, where the extra demand enters: ` +
      `the load comes from there (a surge), not from a fault of ${input.target}`;
    const rest = ranked.filter((r) => r.service !== origin);
    return [{ service: origin, score: Math.round(Math.min(1, top) * 1000) / 1000, reason, hops: 0 }, ...rest].slice(0, limit);
  }
  const cutBy = lostDemandOrigin(input.target, input);
  if (cutBy !== undefined) {
    // Fewer requests because a caller fails its own: the caller goes first (it is upstream: hops 0).
    const top = Math.max(0.5, ...ranked.map((r) => r.score));
    const reason =
      `${input.target} receives fewer requests than usual while ${cutBy}, which calls it, fails requests of its own ` +
      `(and its calls to ${input.target} do not fail): the missing demand is ${cutBy}'s trouble, not a fault of ${input.target}`;
    const rest = ranked.filter((r) => r.service !== cutBy);
    return [{ service: cutBy, score: Math.round(Math.min(1, top) * 1000) / 1000, reason, hops: 0 }, ...rest].slice(0, limit);
  }
  return ranked.slice(0, limit);
}
