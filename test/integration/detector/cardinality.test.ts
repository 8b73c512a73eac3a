/**
 * The detector under many services, over the in-process bus and a real
 * Postgres, with its clock in the test's hands: one round that closes more
 * windows than one statement can carry keeps every rollup; a failing write
 * logs a short line, never the batch; 100,000 services with random names
 * leave at most the cap tracked (the rest counted, also through the API),
 * and idle services leave memory and the checkpoint.
 */
import { count } from 'drizzle-orm';
import pg from 'pg';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createRng } from '../../../models/stats/index.ts';
import { type Bus, createMemoryBus, ensureCatalogTopics } from '../../../services/bus/index.ts';
import { loadConfig } from '../../../services/core/config.ts';
import type { Logger } from '../../../services/core/logger.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { createTelemetry } from '../../../services/core/telemetry.ts';
import { createDetector } from '../../../services/detector/index.ts';
import { encodeResource } from '../../../services/otlp/index.ts';
import { createStore, detectorCheckpoints, rollups, type Store, services } from '../../../services/store/index.ts';
import { buildTestApp } from '../../helpers/api-app.ts';
import { eventually } from '../../helpers/http-target.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.ts';

const WINDOW_MS = 10_000;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
}, 300_000);

/** One ResourceSpans record: one server span of `service` ending at `ms`, with the resource attributes given. */
function record(service: string, ms: number, attrs: Record<string, string> = {}): Uint8Array {
  const t = String(BigInt(ms) * 1_000_000n);
  const s = String(BigInt(ms - 20) * 1_000_000n);
  return encodeResource('traces', {
    resource: { attributes: Object.entries({ 'service.name': service, ...attrs }).map(([key, v]) => ({ key, value: { stringValue: v } })) },
    scopeSpans: [
      {
        scope: { name: 'card' },
        spans: [{ traceId: '0a'.repeat(16), spanId: '0b'.repeat(8), kind: 2, name: 'GET /', startTimeUnixNano: s, endTimeUnixNano: t }],
      },
    ],
  });
}

interface Rig {
  db: TestDatabase;
  store: Store;
  bus: Bus;
  detector: ReturnType<typeof createDetector>;
  topics: Awaited<ReturnType<typeof ensureCatalogTopics>>;
  config: ReturnType<typeof loadConfig>;
  /** The detector's clock, ms. */
  clock: { wall: number };
  publish(names: string[], ms: number, attrs?: Record<string, string>): Promise<void>;
}

async function rig(env: Record<string, string>, logger: Logger = silentLogger()): Promise<Rig> {
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  const config = loadConfig({
    DATABASE_URL: db.url,
    ZEROOPS_WINDOW_SECONDS: String(WINDOW_MS / 1000),
    ZEROOPS_LATENESS_SECONDS: '1',
    ZEROOPS_TOPIC_PARTITIONS: '4',
    ZEROOPS_DETECTOR_NEURAL: 'false',
    ZEROOPS_DETECTOR_CHECKPOINT_SECONDS: '3600',
    ...env,
  });
  const store = await createStore({ databaseUrl: db.url, dataDir: ':memory:', poolSize: 4, connectTimeoutMs: 10_000, logger: silentLogger() });
  cleanups.push(() => store.close());
  const bus = createMemoryBus({ partitions: 4 });
  await bus.connect();
  cleanups.push(() => bus.close());
  const topics = await ensureCatalogTopics(bus, config);
  const clock = { wall: Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS + 2_000 };
  const detector = createDetector({ bus, store, logger, telemetry: createTelemetry(), topics, now: () => clock.wall, handoverWaitMs: 0 }, config);
  await detector.start();
  cleanups.push(() => detector.stop());
  return {
    db,
    store,
    bus,
    detector,
    topics,
    config,
    clock,
    async publish(names, ms, attrs) {
      for (let i = 0; i < names.length; i += 2000) {
        await bus.publish(
          topics.traces,
          names.slice(i, i + 2000).map((n) => ({ key: n, value: record(n, ms, attrs) })),
        );
      }
    },
  };
}

/** Waits until the detector has taken in `n` records (admitted into a tracked service or refused by the cap). */
async function ingested(r: Rig, n: number): Promise<void> {
  await eventually(
    `${n} records ingested`,
    async () => {
      const s = r.detector.serviceStats();
      return s.tracked + s.evicted + s.refusedRecords >= n;
    },
    300_000,
    50,
  );
}

const countOf = async (store: Store, table: typeof rollups | typeof services) => Number((await store.db.select({ n: count() }).from(table))[0]?.n);

describe('detector with many services', () => {
  it('keeps every rollup and service row when one round closes more windows than one statement can carry (23,000)', async () => {
    const r = await rig({ ZEROOPS_DETECTOR_MAX_SERVICES: '30000', ZEROOPS_DETECTOR_IDLE_EVICT_SECONDS: '60' });
    const names = Array.from({ length: 23_000 }, (_, i) => `svc-${i}`);
    await r.publish(names, r.clock.wall - 1_000);
    await ingested(r, names.length);
    // Every service goes idle at once: all 23,000 windows close in one round.
    r.clock.wall += 3 * WINDOW_MS;
    await r.detector.flush();
    expect(await countOf(r.store, rollups)).toBe(23_000);
    expect(await countOf(r.store, services)).toBe(23_000);
    // Idle past the eviction time, all of them leave memory at once (and the shutdown checkpoint is small).
    r.clock.wall += 2 * 60_000;
    await r.detector.flush();
    expect(r.detector.serviceStats()).toMatchObject({ tracked: 0, windowServices: 0, modelServices: 0, evicted: 23_000 });
  }, 600_000);

  it('logs a failed write in a short line, not the statement and its parameters', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
    const r = await rig({}, logger);
    const names = Array.from({ length: 1500 }, (_, i) => `svc-${i}`);
    await r.publish(names, r.clock.wall - 1_000);
    await ingested(r, names.length);
    const admin = new pg.Client({ connectionString: r.db.url });
    await admin.connect();
    await admin.query('ALTER TABLE rollups ADD CONSTRAINT no_rows CHECK (score < 0)');
    await admin.end();
    r.clock.wall += 3 * WINDOW_MS;
    await r.detector.flush();
    const failed = lines.filter((l) => l.includes('failed to store window rollups'));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toContain('no_rows');
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThan(4000);
  }, 300_000);

  it('tracks at most the cap of 100,000 services with random names, counts the rest, and evicts idle ones', async () => {
    const r = await rig({ ZEROOPS_DETECTOR_MAX_SERVICES: '500', ZEROOPS_DETECTOR_IDLE_EVICT_SECONDS: '60', ZEROOPS_DETECTOR_CHECKPOINT_SECONDS: '1' });
    // Random-looking names from a fixed seed: the refused-services count is an estimate (a standard error of about 1.6 %),
    // so the same names every run keep the check below about the estimator, not about the draw.
    const rng = createRng(20261205);
    const hex = () =>
      Math.floor(rng.next() * 0x1_0000_0000)
        .toString(16)
        .padStart(8, '0');
    const names = Array.from({ length: 100_000 }, () => `svc-${hex()}${hex()}`);
    await r.publish(names, r.clock.wall - 1_000, { 'deployment.environment': 'prod', 'host.name': 'h' });
    await ingested(r, names.length);
    const s = r.detector.serviceStats();
    expect(s).toMatchObject({ tracked: 500, maxServices: 500, refusedRecords: 99_500, windowServices: 500, modelServices: 500, evicted: 0 });
    expect(Math.abs(s.refusedServices - 99_500) / 99_500).toBeLessThan(0.05);

    // The periodic checkpoint holds the 500 and no more; the API shows what was refused.
    const cp = await eventually(
      'a checkpoint of 500 services',
      async () => {
        const rows = await r.store.db.select().from(detectorCheckpoints);
        const models = rows.flatMap((row) => Object.keys((row.state as { models?: object }).models ?? {}));
        return models.length === 500 ? rows : undefined;
      },
      120_000,
    );
    const bytes = cp.reduce((n, row) => n + JSON.stringify(row.state).length, 0);
    expect(bytes).toBeLessThan(500 * 40_000);
    const { app, close } = await buildTestApp({ store: r.store, bus: r.bus, config: r.config });
    cleanups.push(close);
    const tracking = await eventually(
      'the tracking counters in the API',
      async () => {
        const t = (await app.inject('/api/v1/services')).json().tracking;
        return t.refusedRecords === 99_500 ? t : undefined;
      },
      120_000,
    );
    expect(tracking).toMatchObject({ instances: 1, trackedServices: 500, maxServices: 500 });

    // All go idle: their windows close, then their state goes, from memory and from the checkpoint.
    r.clock.wall += 2 * 60_000;
    await r.detector.flush();
    expect(await countOf(r.store, rollups)).toBe(500);
    expect(r.detector.serviceStats()).toMatchObject({ tracked: 0, windowServices: 0, modelServices: 0, graphCallers: 0, evicted: 500 });
    await eventually(
      'a checkpoint without the evicted services',
      async () => {
        const rows = await r.store.db.select().from(detectorCheckpoints);
        return rows.every((row) => Object.keys((row.state as { models?: object }).models ?? {}).length === 0);
      },
      120_000,
    );
    // The freed room takes new services.
    await r.publish(['late-comer'], r.clock.wall - 1_000);
    await ingested(r, 100_001);
    expect(r.detector.serviceStats()).toMatchObject({ tracked: 1, refusedRecords: 99_500 });
  }, 600_000);
});
