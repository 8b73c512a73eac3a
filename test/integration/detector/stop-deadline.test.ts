/**
 * The detector's lifecycle: stop before start and a second stop are no-ops,
 * a plain stop hands its partitions over (a released checkpoint), and a stop
 * whose drain is held up (the store is locked while it checkpoints) returns
 * at its deadline instead of waiting for the store, on both buses (memory,
 * Kafka) and both stores (PGlite, Postgres).
 */
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../services/core/logger.ts';
import { createTelemetry } from '../../../services/core/telemetry.ts';
import { createDetector } from '../../../services/detector/index.ts';
import { detectorCheckpoints, type Store } from '../../../services/store/index.ts';
import { assertKafkaReachable, testKafkaBrokers, uniqueName } from '../../helpers/kafka.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.ts';
import { type Env, openEnv, publishWindows, startDetector, WINDOW_MS, waitForRollups } from './fleet-fixture.ts';

const SERVICES = ['cart', 'checkout', 'payment'];
const FIRST = Math.floor((Date.now() - 600_000) / WINDOW_MS) * WINDOW_MS;
const dbs: TestDatabase[] = [];
const envs: Env[] = [];
afterAll(async () => {
  for (const e of envs) await e.close();
  for (const d of dbs) await d.drop();
});

async function envFor(bus: 'memory' | 'kafka', store: 'pglite' | 'postgres'): Promise<Env> {
  const vars: Record<string, string> = { ZEROOPS_TOPIC_PREFIX: `${uniqueName('stop')}.`, ZEROOPS_TOPIC_PARTITIONS: '2' };
  if (bus === 'kafka') {
    await assertKafkaReachable();
    vars.KAFKA_BROKERS = testKafkaBrokers().join(',');
  }
  if (store === 'postgres') {
    const db = await createTestDatabase();
    dbs.push(db);
    vars.DATABASE_URL = db.url;
  }
  const env = await openEnv(vars);
  envs.push(env);
  return env;
}

/** Holds the checkpoint table locked (PGlite: the whole database) until the returned function is called. */
async function lockCheckpoints(store: Store): Promise<() => Promise<void>> {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  let locked: () => void = () => undefined;
  const held = new Promise<void>((r) => {
    locked = r;
  });
  const tx = store.db.transaction(async (t) => {
    await t.execute(sql`LOCK TABLE detector_checkpoints IN ACCESS EXCLUSIVE MODE`);
    locked();
    await gate;
  });
  await held;
  return async () => {
    release();
    await tx;
  };
}

async function releasedPartitions(store: Store): Promise<number> {
  const rows = await store.db.select({ state: detectorCheckpoints.state }).from(detectorCheckpoints);
  return rows.filter((r) => (r.state as { released?: boolean }).released === true).length;
}

describe('detector stop', () => {
  it('stop before start and a second stop are no-ops', { timeout: 240_000 }, async () => {
    const env = await envFor('memory', 'pglite');
    const d = createDetector({ bus: env.bus, store: env.store, logger: silentLogger(), telemetry: createTelemetry(), topics: env.topics }, env.config);
    await d.stop(1000);
    await d.stop(1000);
    expect(d.ready?.()).toBe('stopped');
    expect(await releasedPartitions(env.store)).toBe(0);
  });

  for (const [bus, store] of [
    ['memory', 'pglite'],
    ['memory', 'postgres'],
    ['kafka', 'pglite'],
    ['kafka', 'postgres'],
  ] as const) {
    it(`${bus} bus, ${store}: a stop hands over; a stop held up by a locked store returns at its deadline`, { timeout: 240_000 }, async () => {
      const env = await envFor(bus, store);
      const first = await startDetector(env);
      await publishWindows(env.bus, env.topics.traces, SERVICES, 0, 12, FIRST, []);
      await waitForRollups(env.store, SERVICES.length * 8, 60_000);
      await first.detector.stop(30_000);
      expect(await releasedPartitions(env.store)).toBeGreaterThan(0);
      await first.detector.stop(30_000);

      const second = await startDetector(env);
      await publishWindows(env.bus, env.topics.traces, SERVICES, 12, 20, FIRST, []);
      await waitForRollups(env.store, SERVICES.length * 16, 60_000);
      const unlock = await lockCheckpoints(env.store);
      const started = performance.now();
      await second.detector.stop(1500);
      const took = performance.now() - started;
      await unlock();
      expect(took).toBeGreaterThanOrEqual(1400);
      expect(took).toBeLessThan(4000);
      expect(second.telemetry.snapshot()['zeroops.detector.errors{stage=stop}']).toBe(1);
      expect(second.detector.ready?.()).toBe('stopped');
    });
  }
});
