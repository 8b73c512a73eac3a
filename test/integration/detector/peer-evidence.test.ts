/**
 * Root cause across detector instances, two hops down: a chain
 * caller -> middle -> leaf where the caller and the leaf are scored by one
 * detector instance and the middle service by the other. That instance
 * never sees the middle service's client spans, so it knows neither its
 * callees nor its error ratio; the leaf fails first, the middle service
 * next, the caller last, and the caller's anomaly must name the leaf (not
 * the middle service, the first one of the other instance that the walk
 * reaches). The instances share each window round's evidence and callees on
 * the call-graph topic (services/detector/peer-evidence.ts). Runs on the
 * Kafka bus with Postgres and on the in-process bus with PGlite.
 */
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Bus } from '../../../services/bus/bus.ts';
import { anomalies } from '../../../services/store/index.ts';
import { hex, ns, openIncident, startDetectorPair, tracesRecord, until } from '../../helpers/detector-pair.ts';
import { fleetModes, WINDOW_MS, waitForRollups } from './fleet-fixture.ts';

const PARTITIONS = 4;
const WINDOWS = 52;
/** First failing window of each hop: the leaf, then the middle service, then the caller. */
const FAILS = { leaf: 40, middle: 41, caller: 43 };

/** One service's spans of window `w`: its server spans, and (unless a leaf) a client span to `callee` under each. */
function serviceSpans(hop: number, callee: string | undefined, w: number, firstMs: number, failsFrom: number[]) {
  const spans = [];
  for (let i = 0; i < 20; i++) {
    const start = firstMs + w * WINDOW_MS + i * 40 + hop * 2;
    const base = { traceId: hex(w * 100 + i + 1, 32), name: 'GET /' };
    // A request fails from the hop's own first failing window, or when any hop below it fails.
    const fails = (h: number) => failsFrom.slice(h).some((from) => w >= from) && i % 5 < 3;
    const serverId = hex((w * 100 + i) * 8 + hop * 2 + 1, 16);
    spans.push({
      ...base,
      spanId: serverId,
      kind: 2,
      startTimeUnixNano: ns(start),
      endTimeUnixNano: ns(start + 30 - hop * 4 + (w % 3)),
      status: fails(hop) ? { code: 2 } : {},
    });
    if (callee === undefined) continue;
    spans.push({
      ...base,
      spanId: hex((w * 100 + i) * 8 + hop * 2 + 2, 16),
      parentSpanId: serverId,
      kind: 3,
      startTimeUnixNano: ns(start + 1),
      endTimeUnixNano: ns(start + 28 - hop * 4),
      attributes: [{ key: 'peer.service', value: { stringValue: callee } }],
      status: fails(hop + 1) ? { code: 2 } : {},
    });
  }
  return spans;
}

async function publish(bus: Bus, topic: string, chain: string[], from: number, to: number, firstMs: number) {
  const failsFrom = [FAILS.caller, FAILS.middle, FAILS.leaf];
  for (let w = from; w < to; w++) {
    await bus.publish(
      topic,
      chain.map((service, hop) => tracesRecord(service, serviceSpans(hop, chain[hop + 1], w, firstMs, failsFrom))),
    );
  }
}

const modes = fleetModes('peer', { ZEROOPS_TOPIC_PARTITIONS: String(PARTITIONS) });

describe.each(modes)('root cause two hops down, across detector instances: $name', (mode) => {
  it("names the leaf behind the other instance's middle service as the root cause of the caller's anomaly", async () => {
    const env = await mode.env();
    const pair = await startDetectorPair(env, PARTITIONS);
    // The caller and the leaf on one instance, the middle service on the other.
    const caller = 'svc-0';
    const middle = pair.service((s) => pair.ownerOf(s) !== pair.ownerOf(caller)) as string;
    const leaf = pair.service((s) => s !== caller && pair.ownerOf(s) === pair.ownerOf(caller)) as string;
    expect(middle).toBeDefined();
    expect(leaf).toBeDefined();
    const chain = [caller, middle, leaf];

    const first = Math.floor((Date.now() - 120_000) / WINDOW_MS) * WINDOW_MS;
    await publish(env.bus, env.topics.traces, chain, 0, FAILS.caller, first);
    // The leaf's and the middle service's incidents are open before the caller's failing windows are scored.
    await until(
      async () => (await openIncident(env.store, leaf)) && (await openIncident(env.store, middle)),
      'the leaf and the middle service to open incidents',
    );
    await publish(env.bus, env.topics.traces, chain, FAILS.caller, WINDOWS, first);
    await waitForRollups(env.store, 3 * (WINDOWS - 1), 90_000);
    await pair.stop();

    const [callerOpen] = await env.store.db
      .select()
      .from(anomalies)
      .where(and(eq(anomalies.service, caller), eq(anomalies.episodeState, 'open')));
    expect(callerOpen, 'the caller opened an episode').toBeDefined();
    expect(callerOpen?.rootCauses.map((c) => c.service)).toEqual(expect.arrayContaining([leaf, middle]));
    expect(callerOpen?.rootCauses[0], JSON.stringify(callerOpen?.rootCauses)).toMatchObject({
      service: leaf,
      reason: expect.stringMatching(/^2 hops downstream; /),
    });
    expect(callerOpen?.rootCauses.find((c) => c.service === middle)?.reason).toMatch(new RegExp(`symptom: ${leaf} downstream`));
  }, 180_000);
});
