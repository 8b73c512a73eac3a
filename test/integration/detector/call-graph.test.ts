/**
 * Root causes across detector instances: a caller and its callee on
 * partitions owned by two different detectors of one group. The callee's
 * server spans reach one instance, the caller's client spans the other; the
 * call-graph hints they exchange let the caller's owner learn the edge, so
 * when the callee fails first and the caller follows, the caller's anomaly
 * names the callee as its root cause. Runs on the Kafka bus with Postgres
 * and on the in-process bus with PGlite.
 */
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Bus } from '../../../services/bus/bus.ts';
import { anomalies } from '../../../services/store/index.ts';
import { hex, ns, openIncident, startDetectorPair, tracesRecord, until } from '../../helpers/detector-pair.ts';
import { fleetModes, WINDOW_MS, waitForRollups } from './fleet-fixture.ts';

const PARTITIONS = 4;
const WARM = 40;
const WINDOWS = 52;
/** The callee fails from window 40, its caller from 42. */
const CALLEE_FAILS = 40;
const CALLER_FAILS = 42;

/** The caller's record (server spans it answers, client spans it makes) and the callee's (server spans under those client spans) for window `w`. */
function windowRecords(caller: string, callee: string, w: number, firstMs: number) {
  const callerSpans = [];
  const calleeSpans = [];
  for (let i = 0; i < 20; i++) {
    const start = firstMs + w * WINDOW_MS + i * 40;
    const trace = hex(w * 100 + i + 1, 32);
    const clientId = hex((w * 100 + i) * 4 + 2, 16);
    const calleeFails = w >= CALLEE_FAILS && i % 5 < 3;
    const callerFails = w >= CALLER_FAILS && i % 5 < 3;
    const base = { traceId: trace, name: 'GET /' };
    callerSpans.push(
      {
        ...base,
        spanId: hex((w * 100 + i) * 4 + 1, 16),
        kind: 2,
        startTimeUnixNano: ns(start),
        endTimeUnixNano: ns(start + 30),
        status: callerFails ? { code: 2 } : {},
      },
      { ...base, spanId: clientId, kind: 3, startTimeUnixNano: ns(start + 2), endTimeUnixNano: ns(start + 28) },
    );
    calleeSpans.push({
      ...base,
      spanId: hex((w * 100 + i) * 4 + 3, 16),
      parentSpanId: clientId,
      kind: 2,
      startTimeUnixNano: ns(start + 4),
      endTimeUnixNano: ns(start + 24 + (w % 3)),
      status: calleeFails ? { code: 2 } : {},
    });
  }
  return [tracesRecord(caller, callerSpans), tracesRecord(callee, calleeSpans)];
}

async function publish(bus: Bus, topic: string, caller: string, callee: string, from: number, to: number, firstMs: number) {
  for (let w = from; w < to; w++) await bus.publish(topic, windowRecords(caller, callee, w, firstMs));
}

const modes = fleetModes('cg', { ZEROOPS_TOPIC_PARTITIONS: String(PARTITIONS) });

describe.each(modes)('call graph across detector instances: $name', (mode) => {
  it("names the callee owned by the other instance as the root cause of its caller's anomaly", async () => {
    const env = await mode.env();
    const pair = await startDetectorPair(env, PARTITIONS);
    // A caller and a callee that live on different instances.
    const caller = 'svc-0';
    const callee = pair.service((s) => pair.ownerOf(s) !== pair.ownerOf(caller)) as string;
    expect(callee).toBeDefined();
    const callerOwner = pair.detectors[pair.ownerOf(caller)] as (typeof pair.detectors)[number];

    const first = Math.floor((Date.now() - 120_000) / WINDOW_MS) * WINDOW_MS;
    await publish(env.bus, env.topics.traces, caller, callee, 0, WARM, first);
    await until(
      () => (callerOwner.telemetry.snapshot()['zeroops.detector.call_edges{source=remote}'] ?? 0) > 0,
      "the caller's owner to learn the edge from the other instance's hints",
    );
    // The callee fails first; its incident must be open before the caller's failing windows are scored
    // (the replicas score independently, so without this wait the caller's owner may simply be ahead).
    await publish(env.bus, env.topics.traces, caller, callee, WARM, CALLER_FAILS, first);
    await until(() => openIncident(env.store, callee), `the callee's incident to open (its windows ${CALLEE_FAILS}-${CALLER_FAILS - 1} fail)`);
    await publish(env.bus, env.topics.traces, caller, callee, CALLER_FAILS, WINDOWS, first);
    await waitForRollups(env.store, 2 * (WINDOWS - 1), 90_000);
    await pair.stop();

    const [calleeOpen] = await env.store.db
      .select()
      .from(anomalies)
      .where(and(eq(anomalies.service, callee), eq(anomalies.episodeState, 'open')));
    const [callerOpen] = await env.store.db
      .select()
      .from(anomalies)
      .where(and(eq(anomalies.service, caller), eq(anomalies.episodeState, 'open')));
    expect(calleeOpen?.windowStart.getTime()).toBe(first + CALLEE_FAILS * WINDOW_MS);
    expect(callerOpen).toBeDefined();
    expect(callerOpen?.rootCauses[0]).toMatchObject({
      service: callee,
      reason: expect.stringMatching(/^1 hop downstream; .*no anomalous dependency explains it/),
    });
    expect(callerOpen?.rootCauses.find((c) => c.service === caller)?.reason).toMatch(new RegExp(`symptom: ${callee} downstream`));
  }, 180_000);
});
