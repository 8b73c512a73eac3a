import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiApp } from '../../../services/api/app.ts';
import { type Bus, createMemoryBus, topicNames } from '../../../services/bus/index.ts';
import { type AnomalyEvent, decodeOutcome, encodeAnomaly, type OutcomeEvent } from '../../../services/bus/messages.ts';
import type { Component } from '../../../services/core/component.ts';
import { type Config, loadConfig } from '../../../services/core/config.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { createTelemetry } from '../../../services/core/telemetry.ts';
import { createExecutor } from '../../../services/executor/index.ts';
import { createStore, incidents, type NewIncidentRow, type Store } from '../../../services/store/index.ts';
import { buildTestApp } from '../../helpers/api-app.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.ts';

/** A real Postgres database with the schema, a config allowlisting 127.0.0.1, and an in-process bus. */
export interface Harness {
  db: TestDatabase;
  store: Store;
  config: Config;
  bus: Bus;
  topics: ReturnType<typeof topicNames>;
  app(): Promise<ApiApp>;
  close(): Promise<void>;
}

/** The store of a harness: a fresh database on the real Postgres (the default), or PGlite in memory (the embedded store). */
export type HarnessStore = 'postgres' | 'pglite';

/** A stand-in for the test database of a PGlite harness (nothing to drop: the store lives in memory). */
const inMemory: TestDatabase = { url: '', name: ':memory:', drop: async () => undefined };

/** Opens a {@link Harness}; `env` adds settings (as environment variables). */
export async function openHarness(
  env: Record<string, string> = {},
  secrets: Record<string, string> = {},
  storeKind: HarnessStore = 'postgres',
): Promise<Harness> {
  const db = storeKind === 'postgres' ? await createTestDatabase() : inMemory;
  const config = loadConfig(
    { DATABASE_URL: db.url, ZEROOPS_HTTP_ALLOWLIST: '127.0.0.1', ZEROOPS_TOPIC_PARTITIONS: '2', ZEROOPS_DATABASE_POOL: '4', ...env },
    { secrets },
  );
  const store = await createStore({ databaseUrl: db.url, dataDir: ':memory:', poolSize: 4, connectTimeoutMs: 5_000, logger: silentLogger() });
  const bus = createMemoryBus({ partitions: 2 });
  await bus.connect();
  const topics = topicNames('');
  const apps: { close(): Promise<void> }[] = [];
  return {
    db,
    store,
    config,
    bus,
    topics,
    async app() {
      const built = await buildTestApp({ store, bus, config });
      apps.push(built);
      return built.app;
    },
    async close() {
      for (const a of apps) await a.close();
      await bus.close();
      await store.close();
      await db.drop();
    },
  };
}

/** An anomaly event with sensible defaults. */
export function anomaly(over: Partial<AnomalyEvent> = {}): AnomalyEvent {
  const now = Date.now();
  return {
    id: `a-${Math.random().toString(36).slice(2)}`,
    service: 'checkout',
    episodeId: 'ep-1',
    windowStartUnixMs: now - 10_000,
    windowEndUnixMs: now,
    score: 0.9,
    likelihood: 0.99,
    severity: 'critical',
    kind: 'errors',
    evidence: [],
    modelVersion: 'test',
    episodeState: 'open',
    rootCauses: [],
    attributes: {},
    detectedUnixMs: now,
    recoveryStartUnixMs: 0,
    flapping: false,
    ...over,
  };
}

/** Publishes anomaly events on the anomalies topic (key = service). */
export async function publishAnomalies(bus: Bus, topic: string, events: AnomalyEvent[]): Promise<void> {
  await bus.publish(
    topic,
    events.map((a) => ({ key: a.service, value: encodeAnomaly(a) })),
  );
}

/** Writes the detector's incidents row for an episode. */
export async function upsertIncident(
  store: Store,
  id: string,
  fields: { state?: 'open' | 'closed'; lastScore?: number; flapping?: boolean; service?: string },
): Promise<void> {
  const row: NewIncidentRow & { state: 'open' | 'closed' } = {
    id,
    service: fields.service ?? 'checkout',
    kind: 'errors',
    severity: 'critical',
    state: fields.state ?? 'open',
    openedAt: new Date(),
    lastScore: fields.lastScore ?? 0.9,
    maxScore: 0.9,
    flapping: fields.flapping ?? false,
    ...(fields.state === 'closed' ? { closedAt: new Date() } : {}),
  };
  await store.db
    .insert(incidents)
    .values(row)
    .onConflictDoUpdate({ target: incidents.id, set: { state: row.state, lastScore: row.lastScore, flapping: row.flapping, updatedAt: new Date() } });
}

/** A request a {@link StepTarget} received. */
export interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * A real HTTP server standing in for a remediation target: records every
 * request, applies each `Idempotency-Key` once (a repeated key is answered
 * without applying again, like payment APIs do), fails the next `failNext`
 * requests with 503 and holds requests to paths in `stall` until released.
 */
export interface StepTarget {
  url: string;
  received: Received[];
  /** Side effects applied, per idempotency key. */
  applied: Map<string, number>;
  failNext: number;
  stall: Set<string>;
  /** Answers every stalled request. */
  release(): void;
  waitFor(pred: (r: Received) => boolean, n: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

/** Starts a {@link StepTarget} on 127.0.0.1. */
export async function startStepTarget(): Promise<StepTarget> {
  const held: (() => void)[] = [];
  const t: StepTarget = {
    url: '',
    received: [],
    applied: new Map(),
    failNext: 0,
    stall: new Set(),
    release() {
      for (const h of held.splice(0)) h();
    },
    async waitFor(pred, n, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hits = t.received.filter(pred);
        if (hits.length >= n) return hits;
        if (Date.now() > deadline)
          throw new Error(`expected ${n} request(s), got ${hits.length}: ${t.received.map((r) => `${r.method} ${r.path}`).join(', ')}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close: () =>
      new Promise((resolve) => {
        t.release();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      t.received.push(r);
      const answer = () => {
        if (t.failNext > 0) {
          t.failNext--;
          res.writeHead(503).end('{"error":"busy"}');
          return;
        }
        const key = String(req.headers['idempotency-key'] ?? `${r.method} ${r.path}`);
        if (!t.applied.has(key)) t.applied.set(key, 1);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      };
      if ([...t.stall].some((p) => r.path.startsWith(p))) held.push(answer);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return t;
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes (then throws naming `what`). */
export async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An executor over the harness's bus, store and config, claiming every 100 ms with 2 s leases, started; the caller stops it. */
export async function startExecutor(h: Harness): Promise<Component> {
  const executor = createExecutor(
    { bus: h.bus, store: h.store, logger: silentLogger(), telemetry: createTelemetry(), topics: h.topics, options: { pollMs: 100, leaseMs: 2_000 } },
    h.config,
  );
  await executor.start();
  return executor;
}

/** The outcomes published on the harness's bus, appended as they arrive (read by consumer group `groupId`, which the bus closes). */
export async function collectOutcomes(h: Harness, groupId: string): Promise<OutcomeEvent[]> {
  const outcomes: OutcomeEvent[] = [];
  await h.bus.subscribe({
    groupId,
    topics: [h.topics.outcomes],
    eachBatch: async (rs) => void outcomes.push(...rs.map((r) => decodeOutcome(r.value))),
  });
  return outcomes;
}
