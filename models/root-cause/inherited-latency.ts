/**
 * Latency inherited from a callee. Pure: evidence in, verdict out.
 *
 * A caller waits for its synchronous calls: time its callee takes longer to
 * answer is time the caller takes longer too. So when a caller's answers are
 * R ms slower than its baseline expects and one of its callees answers at
 * least R / 2 ms slower (same latency quantile), most of the caller's added
 * time is spent waiting for that callee, not in its own work: the caller is
 * a symptom of the callee, whatever window each one's episode happened to
 * open in (on a busy host a caller's wide latency often crosses its band a
 * window or two before a callee with few requests does, and the "earlier"
 * rule alone then blamed the caller and a playbook restarted it).
 *
 * Half is where the callee's share of the added time outweighs what is left
 * for the caller's own work. The walk goes on downstream while that holds,
 * and the service where it stops (no callee accounts for half of its own
 * added time) is where the latency originates.
 *
 * The walk does not step into a callee that explains no caller by the other
 * rules: one loaded from upstream (its slowness is the surge's, which
 * entered above it), one that only lost traffic, and one that only slowed
 * with the whole fleet (the shared cause). A caller whose requests fail
 * (errors are explained only by errors) or that was just deployed (a change
 * of its own) is not walked from.
 */

import type { RankInput, ServiceEvidence } from './rank.ts';
import { waitRiseMs } from './waited-callee.ts';

/** Where a service's added latency originates, when that is downstream of it. */
export interface LatencyOrigin {
  /** The service where the added time is spent. */
  origin: string;
  /** The services from the target down to the origin, both included. */
  path: string[];
  /** The latency feature compared (the target's most deviating one), e.g. `latency_p95_ms`. */
  feature: string;
  /** Added time of the target and of the origin in that feature, ms. */
  targetRiseMs: number;
  originRiseMs: number;
  /** The origin's added time is its caller's added wait on it (its own server spans show less). */
  byWait?: boolean;
}

/** Share of a caller's added latency that a callee's added latency must reach to explain it. */
const INHERITED_SHARE = 0.5;

/** Whether `ev` lets its slowness be walked from: only slower, no failing requests, not just deployed. */
function walkable(ev: ServiceEvidence | undefined, failingLevel: number): ev is ServiceEvidence {
  return ev !== undefined && ev.slowOnly === true && ev.errorsUp !== true && ev.deployedRecently !== true && (ev.serverErrorRatio ?? 0) < failingLevel;
}

/**
 * Where `input.target`'s added latency originates (see the module comment),
 * or undefined when it is its own (or nothing is known of its callees'
 * latency). `stepsInto(service)` says whether the walk may blame `service`
 * (the ranking refuses services that explain no caller), `from` the
 * service the walk would step from. A callee's added time is the larger of
 * its own (its server spans) and its caller's added wait on it (the
 * caller's client spans to it, against their own baseline): a caller waits
 * for a stalled callee before the callee's spans end and show it.
 */
export function latencyOrigin(input: RankInput, stepsInto: (service: string, from: string) => boolean): LatencyOrigin | undefined {
  const ev = input.evidence.get(input.target);
  if (!walkable(ev, input.failingCallsLevel ?? 0.2)) return undefined;
  const feature = ev.slowestFeature;
  const targetRise = feature === undefined ? undefined : ev.latencyRiseMs?.[feature];
  if (feature === undefined || targetRise === undefined || !(targetRise > 0)) return undefined;
  const path = [input.target];
  let rise = targetRise;
  let byWait = false;
  for (let hop = 0; hop < (input.maxDepth ?? 4); hop++) {
    const at = path[path.length - 1] as string;
    const atEv = input.evidence.get(at);
    const next = input
      .callees(at)
      .filter((c) => !path.includes(c) && stepsInto(c, at))
      .map((c) => {
        const own = input.evidence.get(c)?.latencyRiseMs?.[feature] ?? 0;
        const wait = waitRiseMs(atEv, c, feature) ?? 0;
        return { c, r: Math.max(own, wait), byWait: wait > own };
      })
      .sort((a, b) => b.r - a.r || a.c.localeCompare(b.c))[0];
    if (next === undefined || next.r < INHERITED_SHARE * rise) break;
    path.push(next.c);
    rise = next.r;
    byWait = next.byWait;
  }
  if (path.length === 1) return undefined;
  const origin = { origin: path[path.length - 1] as string, path, feature, targetRiseMs: targetRise, originRiseMs: rise };
  return byWait ? { ...origin, byWait } : origin;
}

/** The reason given for the origin when it ranks first for the target. */
export function inheritedReason(o: LatencyOrigin): string {
  const ms = (x: number) => `${Math.round(x)} ms`;
  const [target] = o.path;
  const via = o.path.length > 2 ? ` (through ${o.path.slice(1, -1).join(', ')})` : '';
  return (
    `${target} answers ${ms(o.targetRiseMs)} slower than expected (${o.feature}) and ${o.origin} downstream${via} ` +
    `${o.byWait ? `is waited for ${ms(o.originRiseMs)} longer (its callers' client spans to it)` : `${ms(o.originRiseMs)} slower`}: ` +
    `most of the added time is spent waiting for ${o.origin}, not in ${target}'s own work`
  );
}
