/**
 * A fleet-wide slowdown recognised as one shared cause. Pure: evidence in,
 * verdict out.
 *
 * When the host itself is short of CPU (a process starting on a small
 * machine, another tenant's burst), every service on it answers later at
 * the same moment, and each one's latency and runtime metrics (event-loop
 * delay, GC) deviate. Ranked one by one, each of those services is "its own
 * cause" (nothing downstream explains it), and a playbook that acts on
 * causes restarts healthy services. The signature of a shared cause:
 *
 * - many services deviate at once: at least `minServices` and at least
 *   `minShare` of the services known;
 * - in the same direction and only softly: slower answers or runtime
 *   metrics, with no failing requests, no error logs and no lost traffic;
 * - and they are not one chain: at least two of them are "sinks" (none of
 *   their callees deviates), so no single service downstream explains them
 *   all. A real fault in one service whose callers slow down with it has
 *   exactly one sink (that service), and stays that service's cause.
 *
 * A slow service that deviates far more than the rest of the slowed fleet
 * (`outlierFactor` times the median deviation of the others) is not just
 * part of the crowd: it keeps its own ranking (a CPU hog in one service
 * while the whole host slows a little), and so does one deployed
 * in the last few windows (a new version is a change of its own; a bad
 * deploy's new processes often slow before they fail). So does a slowed
 * service with such a service, or an anomalous service that fails
 * requests, downstream of it: that explains its slowness better than the
 * crowd does. So does a slowed service whose added time is its wait on
 * one callee that the callee's own spans do not show (see
 * waited-callee.ts: a host short of CPU slows the callee's spans as much
 * as the waits on it), and every slowed service above it.
 */

import type { ServiceEvidence } from './rank.ts';
import { type WaitedCallee, waitedCallee } from './waited-callee.ts';

/** Name of the pseudo-candidate that stands for a cause shared by the fleet (the host), ranked before the service itself. */
export const SHARED_CAUSE = 'shared:host-contention';

/** Settings of {@link sharedSlowdown}. */
export interface SharedCauseOptions {
  /** Score from which a service counts as deviating. Default 0.5. */
  anomalousLevel?: number;
  /** Fewest services slowed at once. Default 3. */
  minServices?: number;
  /** Smallest share of the known services slowed at once, in [0, 1]. Default 0.4. */
  minShare?: number;
  /** Fewest known services for a share to mean anything. Default 4. */
  minFleet?: number;
  /** A slowed service this many times above the others' median deviation keeps its own ranking. Default 4. */
  outlierFactor?: number;
}

/** The verdict: which services are symptoms of one shared cause, and why. */
export interface SharedSlowdown {
  /** Services that only slowed with the fleet (their anomaly is the shared cause's, not their own). */
  members: Set<string>;
  /** Slowed services with no slowed callee: independent places where the slowdown shows. */
  sinks: string[];
  /** Slowed services kept out of the shared cause because they deviate far more than the rest. */
  outliers: string[];
  /** Services known (the denominator of the share). */
  fleet: number;
  /** Services slowed at once (members and outliers). */
  slowed: number;
  /** One sentence for the root-cause reason. */
  reason: string;
}

/** Median of a non-empty list. */
function median(xs: number[]): number {
  const v = [...xs].sort((a, b) => a - b);
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? (v[m] as number) : ((v[m - 1] as number) + (v[m] as number)) / 2;
}

/** Whether `ev` is a soft deviation: anomalous, and only slower or with runtime metrics off. */
function slowedSoftly(ev: ServiceEvidence, level: number): boolean {
  // A service receiving more requests than usual slowed for the demand (see rank.ts), not with the host.
  return (
    ev.score >= level && ev.slowOnly === true && ev.lostTraffic !== true && ev.errorsUp !== true && ev.demandUp !== true && (ev.serverErrorRatio ?? 0) < 0.05
  );
}

/** The slowed services that deviate far more than the rest of the slowed ones (by their largest deviation, when known). */
function outliersOf(slowed: string[], evidence: ReadonlyMap<string, ServiceEvidence>, factor: number): string[] {
  const out: string[] = [];
  for (const s of slowed) {
    const own = evidence.get(s)?.deviation;
    const others = slowed
      .filter((o) => o !== s)
      .map((o) => evidence.get(o)?.deviation)
      .filter((d): d is number => d !== undefined && d > 0);
    if (own === undefined || others.length === 0) continue;
    if (own >= factor * median(others)) out.push(s);
  }
  return out;
}

/** Whether a service in `targets` is downstream of `from` (up to 4 hops). */
function reachesAny(from: string, targets: ReadonlySet<string>, callees: (service: string) => readonly string[]): boolean {
  const seen = new Set([from]);
  let frontier = [from];
  for (let hop = 0; hop < 4 && frontier.length > 0; hop++) {
    const next: string[] = [];
    for (const s of frontier)
      for (const c of callees(s)) {
        if (targets.has(c)) return true;
        if (!seen.has(c)) {
          seen.add(c);
          next.push(c);
        }
      }
    frontier = next;
  }
  return false;
}

/**
 * Whether the services in `evidence` show a shared slowdown (see the module
 * comment); undefined when they do not. `callees` is the call graph the
 * traces show; every service in `evidence` counts as known.
 */
export function sharedSlowdown(
  evidence: ReadonlyMap<string, ServiceEvidence>,
  callees: (service: string) => readonly string[],
  opts: SharedCauseOptions = {},
): SharedSlowdown | undefined {
  const fleet = evidence.size;
  if (fleet < (opts.minFleet ?? 4)) return undefined;
  const level = opts.anomalousLevel ?? 0.5;
  const slowed = [...evidence.entries()].filter(([, e]) => slowedSoftly(e, level)).map(([s]) => s);
  if (slowed.length < (opts.minServices ?? 3) || slowed.length < (opts.minShare ?? 0.4) * fleet) return undefined;
  const isSlowed = new Set(slowed);
  const sinks = slowed.filter((s) => !callees(s).some((c) => isSlowed.has(c))).sort();
  if (sinks.length < 2) return undefined;
  const outliers = outliersOf(slowed, evidence, opts.outlierFactor ?? 4).sort();
  // A real cause downstream (a service that fails, an outlier, one just deployed) explains a slowed caller better
  // than the crowd does.
  const failing = [...evidence.entries()]
    .filter(([s, e]) => e.score >= level && !isSlowed.has(s) && (e.errorsUp === true || (e.serverErrorRatio ?? 0) >= 0.2))
    .map(([s]) => s);
  // A service just deployed (a new version) has a change of its own to blame: a bad deploy often slows before it fails.
  const deployed = slowed.filter((s) => evidence.get(s)?.deployedRecently === true);
  // A slowed service whose added time is its wait on one callee, which that callee's own spans do not show, is one
  // chain with a cause at its end (a stalled pool), not the crowd: a host short of CPU slows the callee's spans too.
  const waits = slowed.map((s) => waitedCallee(s, evidence)).filter((w): w is WaitedCallee => w !== undefined && !w.shownByCallee);
  const waited = waits.map((w) => w.callee);
  const waiting = new Set(waits.map((w) => w.caller));
  const real = new Set([...outliers, ...failing, ...deployed, ...waited]);
  const members = new Set(slowed.filter((s) => !real.has(s) && !waiting.has(s) && !reachesAny(s, real, callees)));
  if (members.size < 2) return undefined;
  const reason =
    `${slowed.length} of ${fleet} services slowed at once with no errors (latency or runtime metrics only), ` +
    `in ${sinks.length} places no call explains (${sinks.join(', ')}): a shared cause such as host contention, not this service`;
  return { members, sinks, outliers, fleet, slowed: slowed.length, reason };
}
