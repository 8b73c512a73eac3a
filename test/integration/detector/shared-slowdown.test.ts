/**
 * A fleet-wide slowdown as one shared cause, on a running detector fed live
 * traffic (spans stamped with the current time at a steady rate): six
 * services in the demo shop's call graph (frontend -> gateway -> catalog ->
 * products-db, gateway -> cart -> sessions-db). When every service answers
 * four times slower at once with no errors (a host short of CPU), their
 * anomalies name the shared cause first and are symptoms, so no playbook
 * that matches `zeroops.root_cause_role: cause` acts on them. When only
 * products-db slows (its callers slow with it: one chain), products-db stays
 * the cause. Runs on the Kafka bus with Postgres and on the in-process bus
 * with PGlite.
 */
import { eq, gte } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { SHARED_CAUSE } from '../../../models/root-cause/index.ts';
import type { Bus } from '../../../services/bus/bus.ts';
import { ROOT_CAUSE_ROLE_ATTRIBUTE } from '../../../services/detector/anomaly-events.ts';
import { encodeResource } from '../../../services/otlp/index.ts';
import { anomalies, incidents, type Store } from '../../../services/store/index.ts';
import { fleetModes, startDetector, WINDOW_MS } from './fleet-fixture.ts';

const GRAPH: Record<string, string[]> = { frontend: ['gateway'], gateway: ['catalog', 'cart'], catalog: ['products-db'], cart: ['sessions-db'] };
const SERVICES = ['frontend', 'gateway', 'catalog', 'products-db', 'cart', 'sessions-db'];
/** Requests per second entering the frontend. */
const RPS = 25;
/** Past the detector's 30-window warm-up. */
const WARM_WINDOWS = 40;
const SLOW_WINDOWS = 8;

const ns = (ms: number) => String(BigInt(Math.round(ms)) * 1_000_000n);
const hex = (n: number, len: number) => n.toString(16).padStart(len, '0').slice(-len);

/** How much slower each service's own work is (1: normal). */
type Slowness = Record<string, number>;

/** Every service's spans for one request entering the frontend at `startMs`: server spans, and client spans to its callees, called one after the other. */
function requestSpans(n: number, startMs: number, slow: Slowness, out: Map<string, unknown[]>): void {
  const trace = hex(n + 1, 32);
  let ids = n * 64;
  const serve = (service: string, at: number, parent?: string): number => {
    const id = hex(++ids, 16);
    // Own work: 4 to 9 ms, deterministic jitter, times the service's slowness.
    const own = (4 + ((n * 7 + service.length * 3) % 6)) * (slow[service] ?? 1);
    let t = at + own / 2;
    for (const callee of GRAPH[service] ?? []) {
      const client = hex(++ids, 16);
      const end = serve(callee, t + 0.2, client) + 0.2;
      out
        .get(service)
        ?.push({ traceId: trace, spanId: client, parentSpanId: id, name: `GET ${callee}`, kind: 3, startTimeUnixNano: ns(t), endTimeUnixNano: ns(end) });
      t = end;
    }
    const end = t + own / 2;
    out.get(service)?.push({
      traceId: trace,
      spanId: id,
      ...(parent ? { parentSpanId: parent } : {}),
      name: 'GET /',
      kind: 2,
      startTimeUnixNano: ns(at),
      endTimeUnixNano: ns(end),
    });
    return end;
  };
  serve('frontend', startMs);
}

/** Live traffic: every 200 ms, the requests that started since the last batch, stamped with their real start times; `slowness(ms)` says how slow each service is at a moment. */
function liveTraffic(bus: Bus, topic: string, slowness: (ms: number) => Slowness) {
  let stopped = false;
  let n = 0;
  let next = Date.now();
  const done = (async () => {
    while (!stopped) {
      const out = new Map(SERVICES.map((s) => [s, [] as unknown[]]));
      for (const now = Date.now(); next < now; next += 1000 / RPS) requestSpans(n++, next, slowness(next), out);
      await bus.publish(
        topic,
        SERVICES.map((s) => ({
          key: s,
          value: encodeResource('traces', {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: s } }] },
            scopeSpans: [{ spans: out.get(s) }],
          }),
        })),
      );
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await done;
    },
  };
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Anomaly events (not closing ones) of windows that started at or after `fromMs`. */
async function eventsSince(store: Store, fromMs: number) {
  const rows = await store.db
    .select()
    .from(anomalies)
    .where(gte(anomalies.windowStart, new Date(fromMs)));
  return rows.filter((r) => r.episodeState !== 'closed');
}

async function openCount(store: Store): Promise<number> {
  return (await store.db.select({ id: incidents.id }).from(incidents).where(eq(incidents.state, 'open'))).length;
}

/** The next window boundary at least `windows` windows from now. */
const boundary = (windows: number) => (Math.floor(Date.now() / WINDOW_MS) + windows) * WINDOW_MS;

const modes = fleetModes('shared');

describe.each(modes)('a fleet-wide slowdown on live traffic: $name', (mode) => {
  it('names one shared cause when every service slows at once, and keeps a single slow service its own cause', async () => {
    const env = await mode.env();
    const { detector } = await startDetector(env);
    let phase: { fromMs: number; toMs: number; slow: Slowness } | undefined;
    const traffic = liveTraffic(env.bus, env.topics.traces, (ms) => (phase && ms >= phase.fromMs && ms < phase.toMs ? phase.slow : {}));
    try {
      // Host contention: every service's own work four times slower, from a window boundary on.
      const hostFrom = boundary(WARM_WINDOWS);
      phase = { fromMs: hostFrom, toMs: hostFrom + SLOW_WINDOWS * WINDOW_MS, slow: Object.fromEntries(SERVICES.map((s) => [s, 4])) };
      const slowedServices = async () => new Set((await eventsSince(env.store, hostFrom)).map((e) => e.service)).size;
      await until(async () => (await slowedServices()) >= 4 && Date.now() > phase!.toMs + 3 * WINDOW_MS, 'the slowdown of the fleet to be scored', 180_000);
      const host = (await eventsSince(env.store, hostFrom)).filter((e) => e.windowEnd.getTime() <= phase!.toMs);
      expect(new Set(host.map((e) => e.service)).size).toBeGreaterThanOrEqual(4);
      // Services' windows close in different rounds: in the slowdown's first two windows a service may be ranked before
      // enough of the fleet has been scored to show a crowd (under a loaded suite, once in a run). From then on every
      // event of every slowed service must name the shared cause.
      const settled = host.filter((e) => e.windowEnd.getTime() > hostFrom + 2 * WINDOW_MS);
      expect(new Set(settled.map((e) => e.service)).size).toBeGreaterThanOrEqual(4);
      for (const e of settled) {
        expect(e.rootCauses[0]?.service, `${e.service} ${e.episodeState} at ${e.windowEnd.toISOString()}`).toBe(SHARED_CAUSE);
        expect(e.rootCauses[0]?.reason).toMatch(/services slowed at once with no errors/);
        expect(e.attributes[ROOT_CAUSE_ROLE_ATTRIBUTE]).toBe('symptom');
      }

      // Back to normal, then one slow datastore: its callers slow with it, the rest of the fleet does not.
      await until(async () => (await openCount(env.store)) === 0, 'the incidents of the slowdown to close', 120_000);
      const dbFrom = boundary(3);
      phase = { fromMs: dbFrom, toMs: dbFrom + SLOW_WINDOWS * WINDOW_MS, slow: { 'products-db': 12 } };
      const dbEvents = async () => (await eventsSince(env.store, dbFrom)).filter((e) => e.windowEnd.getTime() <= phase!.toMs);
      await until(
        async () => (await dbEvents()).some((e) => e.service === 'products-db') && Date.now() > phase!.toMs + 3 * WINDOW_MS,
        "products-db's anomaly",
        120_000,
      );
      const single = await dbEvents();
      const own = single.filter((e) => e.service === 'products-db');
      expect(own.length).toBeGreaterThan(0);
      for (const e of own) {
        expect(e.rootCauses[0]?.service, `products-db ${e.episodeState} at ${e.windowEnd.toISOString()}`).toBe('products-db');
        expect(e.attributes[ROOT_CAUSE_ROLE_ATTRIBUTE]).toBe('cause');
      }
      // Its callers slowed with it, and the rest of the fleet did not: nothing here is a shared cause.
      for (const e of single)
        expect(
          e.rootCauses.some((c) => c.service === SHARED_CAUSE),
          `${e.service} at ${e.windowEnd.toISOString()}`,
        ).toBe(false);
    } finally {
      await traffic.stop();
      await detector.stop();
    }
  }, 420_000);
});
