/**
 * A replayable telemetry fixture for detector integration tests: a small
 * fleet of services, one ResourceSpans record per service and window, with
 * deterministic jitter and injected error and latency anomalies; plus the
 * plumbing to run detectors over a real bus and store.
 */
import { afterAll } from 'vitest';
import type { Bus } from '../../../services/bus/bus.ts';
import { createBus, ensureCatalogTopics } from '../../../services/bus/index.ts';
import type { TopicId } from '../../../services/bus/topics.ts';
import { type Config, loadConfig } from '../../../services/core/config.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { createTelemetry } from '../../../services/core/telemetry.ts';
import { createDetector } from '../../../services/detector/index.ts';
import { encodeResource } from '../../../services/otlp/index.ts';
import { createStore, rollups, type Store } from '../../../services/store/index.ts';
import { assertKafkaReachable, testKafkaBrokers, uniqueName } from '../../helpers/kafka.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.ts';

/** Window length of the fixture, ms. */
export const WINDOW_MS = 1000;

/** An injected anomaly: windows [from, to) of `service`. */
export interface Injection {
  service: string;
  from: number;
  to: number;
  /** `errors`: 60% of requests fail; `latency`: ten times slower; `bump`: 2.5 times slower (a harmless recurring pattern). */
  kind: 'errors' | 'latency' | 'bump';
}

const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);
const hex = (n: number, len: number) => n.toString(16).padStart(len, '0').slice(-len);

/** The record of `service` for window `w` (starting at `firstMs + w * WINDOW_MS`). */
export function windowRecord(service: string, index: number, w: number, firstMs: number, injections: Injection[]): Uint8Array {
  const inj = injections.find((i) => i.service === service && w >= i.from && w < i.to);
  const n = 20 + ((w * 7 + index * 3) % 5);
  const spans = [];
  for (let i = 0; i < n; i++) {
    const start = firstMs + w * WINDOW_MS + Math.floor((i * WINDOW_MS) / (n + 2));
    const base = 20 + ((w * 13 + index + i) % 7);
    const latency = inj?.kind === 'latency' ? base * 10 : inj?.kind === 'bump' ? Math.round(base * 2.5) : base;
    const error = inj?.kind === 'errors' ? i % 5 < 3 : (w + i + index) % 97 === 0;
    spans.push({
      traceId: hex(w * 1000 + index, 32),
      spanId: hex((w * 100 + i) * 100 + index + 1, 16),
      name: 'GET /',
      kind: 2,
      startTimeUnixNano: ns(start),
      endTimeUnixNano: ns(start + latency),
      status: error ? { code: 2 } : {},
    });
  }
  return encodeResource('traces', {
    resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
    scopeSpans: [{ scope: { name: 'fixture' }, spans }],
  });
}

/** Publishes windows [from, to) of every service, window by window. */
export async function publishWindows(
  bus: Bus,
  topic: string,
  services: string[],
  from: number,
  to: number,
  firstMs: number,
  injections: Injection[],
): Promise<void> {
  for (let w = from; w < to; w++) {
    await bus.publish(
      topic,
      services.map((s, k) => ({ key: s, value: windowRecord(s, k, w, firstMs, injections) })),
    );
  }
}

/** A bus, store and config for one run (own topic prefix, own database). */
export interface Env {
  config: Config;
  bus: Bus;
  store: Store;
  topics: Record<TopicId, string>;
  close(): Promise<void>;
}

/** Connects to the broker and database of a run and creates its topics. */
export async function openEnv(env: Record<string, string>): Promise<Env> {
  const config = loadConfig({
    ZEROOPS_WINDOW_SECONDS: String(WINDOW_MS / 1000),
    ZEROOPS_LATENESS_SECONDS: '0.2',
    ZEROOPS_TOPIC_PARTITIONS: '4',
    ZEROOPS_DETECTOR_BACKEND: 'cpu',
    ...env,
  });
  const bus = createBus(config, silentLogger());
  await bus.connect();
  const topics = await ensureCatalogTopics(bus, config);
  const store = await createStore({ databaseUrl: config.databaseUrl, dataDir: ':memory:', poolSize: 5, connectTimeoutMs: 10_000, logger: silentLogger() });
  return {
    config,
    bus,
    store,
    topics,
    async close() {
      await bus.close();
      await store.close();
    },
  };
}

/** Starts a detector on `env`; returns it with its telemetry. */
export async function startDetector(env: Env) {
  const telemetry = createTelemetry();
  const detector = createDetector(
    { bus: env.bus, store: env.store, logger: silentLogger(), telemetry, topics: env.topics, handoverWaitMs: 15_000 },
    env.config,
  );
  await detector.start();
  return { detector, telemetry };
}

/** Waits until `count` rollup rows exist (all windows scored), failing after `timeoutMs`. */
export async function waitForRollups(store: Store, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let n = 0;
  while (Date.now() < deadline) {
    n = (await store.db.select({ service: rollups.service }).from(rollups)).length;
    if (n >= count) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`only ${n} of ${count} windows were scored within ${timeoutMs} ms`);
}

/**
 * The two modes of a fleet test, Kafka + Postgres (topics prefixed by `prefix`) and the in-process bus with PGlite,
 * each with `settings` on top; every Env opened (and its database) is closed after the file.
 */
export function fleetModes(prefix: string, settings: Record<string, string> = {}): Array<{ name: string; env: () => Promise<Env> }> {
  const dbs: TestDatabase[] = [];
  const envs: Env[] = [];
  afterAll(async () => {
    for (const e of envs) await e.close();
    for (const d of dbs) await d.drop();
  });
  const opened = async (all: Record<string, string>) => {
    const e = await openEnv(all);
    envs.push(e);
    return e;
  };
  return [
    {
      name: 'kafka + postgres',
      async env() {
        await assertKafkaReachable();
        const db = await createTestDatabase();
        dbs.push(db);
        return opened({ KAFKA_BROKERS: testKafkaBrokers().join(','), DATABASE_URL: db.url, ZEROOPS_TOPIC_PREFIX: `${uniqueName(prefix)}.`, ...settings });
      },
    },
    { name: 'in-process bus + PGlite', env: () => opened({ ...settings }) },
  ];
}
