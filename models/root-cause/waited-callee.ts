/**
 * The callee a caller waits for. Pure: evidence in, verdict out.
 *
 * A caller's client spans to a callee time what it waits for: the callee's
 * queue and connection pool, the network, the callee's work. Their own
 * baseline per caller and callee (kept by the detector) says how much longer
 * the caller waits for each callee than usual. Two verdicts read it:
 *
 * - **Waited for.** A caller whose added wait is concentrated on one callee
 *   (at least half of its own added time in its most deviating latency
 *   quantile, and at least twice the added wait on any other callee) spends
 *   its added time waiting there, not in its own work and not in a
 *   slowdown of the whole host.
 * - **Stalled.** Calls whose typical duration (p50) is at least
 *   {@link STALL_FACTOR} times their baseline and at least
 *   {@link STALL_MIN_MS} longer: requests stall at the callee. A caller that
 *   waits that long fails its own requests (its pool fills up, its callers'
 *   calls time out), so a stalled callee explains the caller's failures as
 *   well as its slowness.
 *
 * A concentrated wait counts only when the callee's own server spans do
 * not show the added time (their rise is below half of the wait's): when
 * they do, the callee's own evidence speaks for it, and a fleet-wide
 * slowdown (the host short of CPU) slows a callee's spans as much as its
 * callers' waits on it. A callee whose spans end only when a request
 * finally gets a pool slot or times out looks normal for a while, and so
 * does one that answers nothing. A stall counts either way: a host short of
 * CPU does not make calls four times slower and tens of ms longer at once,
 * and the stalled callee is where the caller's trouble is now, whenever its
 * own episode opened.
 */

import type { RankInput, ServiceEvidence } from './rank.ts';

/** How long a caller's calls to one callee took in its latest window, and what their own baseline expected, per latency feature, ms. */
export interface CallWait {
  observedMs: Readonly<Record<string, number>>;
  expectedMs: Readonly<Record<string, number>>;
}

/** Typical call (p50) this many times its baseline: the callee stalls. */
export const STALL_FACTOR = 4;
/** ... and at least this much longer, ms: below, a multiple of a sub-millisecond call is scheduling noise on a busy host. */
export const STALL_MIN_MS = 50;

/** Share of the caller's own added time that its added wait on a callee must reach to explain it. */
const WAIT_SHARE = 0.5;
/** The added wait on the one callee against that on any other: "concentrated on one callee". */
const CONCENTRATION = 2;

/** The latency feature a service's slowness is compared in: its most deviating one, else p95. */
function featureOf(ev: ServiceEvidence): string {
  return ev.slowestFeature ?? 'latency_p95_ms';
}

/** How much longer `caller`'s calls to `callee` took than their baseline in `feature`, ms; undefined when not known. */
export function waitRiseMs(ev: ServiceEvidence | undefined, callee: string, feature: string): number | undefined {
  const w = ev?.callWaits?.[callee];
  const o = w?.observedMs[feature];
  const e = w?.expectedMs[feature];
  return o === undefined || e === undefined ? undefined : o - e;
}

/** Whether `caller`'s calls to `callee` stall (see the module comment). */
export function stalls(ev: ServiceEvidence | undefined, callee: string): boolean {
  const w = ev?.callWaits?.[callee];
  const o = w?.observedMs.latency_p50_ms;
  const e = w?.expectedMs.latency_p50_ms;
  return o !== undefined && e !== undefined && o >= STALL_FACTOR * e && o - e >= STALL_MIN_MS;
}

/** A callee that a caller waits for, and why. */
export interface WaitedCallee {
  caller: string;
  callee: string;
  /** The feature compared (the caller's most deviating latency quantile, else p95). */
  feature: string;
  /** The caller's added wait on the callee, and the callee's own added time, in that feature, ms. */
  waitRiseMs: number;
  calleeRiseMs: number;
  /** The calls stall (typical call {@link STALL_FACTOR} times its baseline). */
  stalled: boolean;
  /** The callee's own server spans show the added time (at least half of it). */
  shownByCallee: boolean;
}

/**
 * The callee that `caller` waits for (see the module comment), or
 * undefined: none stands out, or the wait is concentrated but not stalled
 * and the callee's own server spans show the added time.
 */
export function waitedCallee(caller: string, evidence: ReadonlyMap<string, ServiceEvidence>): WaitedCallee | undefined {
  const ev = evidence.get(caller);
  if (!ev?.callWaits) return undefined;
  const feature = featureOf(ev);
  const rises = Object.keys(ev.callWaits)
    .map((callee) => ({ callee, rise: waitRiseMs(ev, callee, feature) ?? 0 }))
    .sort((a, b) => b.rise - a.rise || a.callee.localeCompare(b.callee));
  const [best, second] = rises;
  if (best === undefined || !(best.rise > 0)) return undefined;
  const stalled = stalls(ev, best.callee);
  const own = ev.latencyRiseMs?.[feature];
  const concentrated = own !== undefined && own > 0 && best.rise >= WAIT_SHARE * own && best.rise >= CONCENTRATION * Math.max(0, second?.rise ?? 0);
  if (!stalled && !concentrated) return undefined;
  const calleeRise = evidence.get(best.callee)?.latencyRiseMs?.[feature] ?? 0;
  const shownByCallee = calleeRise >= WAIT_SHARE * best.rise;
  if (shownByCallee && !stalled) return undefined;
  return { caller, callee: best.callee, feature, waitRiseMs: best.rise, calleeRiseMs: calleeRise, stalled, shownByCallee };
}

/** Among the callers reached by the ranking's walk, one that waits for `service` (stalled ones first), if any. */
export function waitedBy(service: string, reached: Iterable<string>, input: RankInput): WaitedCallee | undefined {
  let found: WaitedCallee | undefined;
  for (const caller of reached) {
    if (caller === service || !input.callees(caller).includes(service)) continue;
    const w = waitedCallee(caller, input.evidence);
    if (w?.callee !== service) continue;
    if (!found || (w.stalled && !found.stalled) || (w.stalled === found.stalled && w.waitRiseMs > found.waitRiseMs)) found = w;
  }
  return found;
}

/** One phrase for a reason: how much longer the caller waits for the callee. */
export function waitPhrase(w: WaitedCallee): string {
  const ms = (x: number) => `${Math.round(x)} ms`;
  return (
    `${w.caller}'s calls to it take ${ms(w.waitRiseMs)} longer than usual (${w.feature}${w.stalled ? ', stalled' : ''}) ` +
    `and its own server spans show ${ms(w.calleeRiseMs)} more: ${w.caller} waits for it`
  );
}
