/**
 * Two detector instances in one consumer group over the real Kafka broker
 * and a real Postgres: the second joins mid-stream, takes over partitions,
 * restores their checkpoint (models, open windows, offsets) instead of
 * relearning, and together they score every window exactly as one instance
 * does and produce the same anomalies.
 */
import { asc } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { anomalies, rollups, type Store } from '../../../services/store/index.ts';
import { assertKafkaReachable, testKafkaBrokers, uniqueName } from '../../helpers/kafka.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.ts';
import { type Env, type Injection, openEnv, publishWindows, startDetector, WINDOW_MS, waitForRollups } from './fleet-fixture.ts';

const SERVICES = Array.from({ length: 8 }, (_, i) => `svc-${i}`);
const WINDOWS = 60;
const SPLIT = 30;
const INJECTIONS: Injection[] = [
  { service: 'svc-1', from: 40, to: 44, kind: 'errors' },
  { service: 'svc-4', from: 45, to: 49, kind: 'latency' },
  { service: 'svc-6', from: 36, to: 39, kind: 'errors' },
];
const FIRST = Math.floor((Date.now() - 600_000) / WINDOW_MS) * WINDOW_MS;

const dbs: TestDatabase[] = [];
const envs: Env[] = [];
afterAll(async () => {
  for (const e of envs) await e.close();
  for (const d of dbs) await d.drop();
});

async function freshEnv(): Promise<Env> {
  await assertKafkaReachable();
  const db = await createTestDatabase();
  dbs.push(db);
  const env = await openEnv({ KAFKA_BROKERS: testKafkaBrokers().join(','), DATABASE_URL: db.url, ZEROOPS_TOPIC_PREFIX: `${uniqueName('det')}.` });
  envs.push(env);
  return env;
}

async function results(store: Store) {
  const scores = await store.db.select().from(rollups).orderBy(asc(rollups.service), asc(rollups.windowEnd));
  const events = await store.db.select().from(anomalies).orderBy(asc(anomalies.service), asc(anomalies.windowEnd));
  return {
    scores: scores.map((r) => [r.service, r.windowEnd.getTime() - FIRST, r.score] as const),
    events: events.map((a) => [a.service, a.windowStart.getTime() - FIRST, a.episodeState, a.kind, a.episodeId] as const),
  };
}

describe('detector rebalance over Kafka', () => {
  it('two instances with a mid-stream rebalance score every window as one instance does', async () => {
    const one = await freshEnv();
    const a1 = await startDetector(one);
    await publishWindows(one.bus, one.topics.traces, SERVICES, 0, WINDOWS, FIRST, INJECTIONS);
    await waitForRollups(one.store, SERVICES.length * WINDOWS, 90_000);
    await a1.detector.stop();
    const single = await results(one.store);

    const two = await freshEnv();
    const b1 = await startDetector(two);
    await publishWindows(two.bus, two.topics.traces, SERVICES, 0, SPLIT, FIRST, INJECTIONS);
    await waitForRollups(two.store, SERVICES.length * (SPLIT - 1), 90_000);
    const b2 = await startDetector(two);
    // b2 restores what b1 hands over; wait until it has taken services over before the rest arrives.
    const deadline = Date.now() + 60_000;
    while (!((b2.telemetry.snapshot()['zeroops.detector.restored_services'] ?? 0) > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const restored = b2.telemetry.snapshot()['zeroops.detector.restored_services'] ?? 0;
    await publishWindows(two.bus, two.topics.traces, SERVICES, SPLIT, WINDOWS, FIRST, INJECTIONS);
    await waitForRollups(two.store, SERVICES.length * WINDOWS, 90_000);
    await b1.detector.stop();
    await b2.detector.stop();
    const split = await results(two.store);

    expect(restored).toBeGreaterThan(0);
    expect(restored).toBeLessThan(SERVICES.length);
    // every injected anomaly is found, and nothing else
    const opened = single.events.filter((e) => e[2] === 'open').map((e) => [e[0], e[1] / WINDOW_MS]);
    expect(opened).toEqual(expect.arrayContaining(INJECTIONS.map((i) => [i.service, i.from])));
    expect(new Set(single.events.map((e) => e[0]))).toEqual(new Set(INJECTIONS.map((i) => i.service)));
    // the split run agrees window by window (a relearning instance would not)
    expect(split.scores.length).toBe(single.scores.length);
    for (let k = 0; k < single.scores.length; k++) {
      expect(split.scores[k]?.slice(0, 2)).toEqual(single.scores[k]?.slice(0, 2));
      expect(split.scores[k]?.[2]).toBeCloseTo(single.scores[k]?.[2] as number, 9);
    }
    expect(split.events).toEqual(single.events);
  }, 240_000);
});
