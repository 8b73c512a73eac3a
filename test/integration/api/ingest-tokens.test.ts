/**
 * Ingest tokens created through /api/v1/tokens work on the collector over
 * OTLP/HTTP and OTLP/gRPC (the OpenTelemetry SDK's own exporters): at once
 * in the process whose API created them (shared registry), and within the
 * refresh period in a separate `zeroops collector` process on the same
 * Postgres; revocation likewise. API and ingest tokens do not stand in for
 * each other.
 */

import { Metadata } from '@grpc/grpc-js';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as TraceGrpc } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as TraceProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiApp } from '../../../services/api/index.ts';
import { createTokenRegistry, type TokenRegistry } from '../../../services/auth/index.ts';
import { type Bus, createMemoryBus, topicNames } from '../../../services/bus/index.ts';
import { type Collector, createCollector } from '../../../services/collector/index.ts';
import { type Config, createTelemetry, loadConfig, silentLogger } from '../../../services/core/index.ts';
import { auditLog, createStore, type Store } from '../../../services/store/index.ts';
import { buildTestApp } from '../../helpers/api-app.ts';
import { assertKafkaReachable, testKafkaBrokers, uniqueName } from '../../helpers/kafka.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.ts';
import { spawnZeroops, type ZeroopsProcess } from '../../helpers/zeroops-process.ts';

const ADMIN = 'ingest-test-admin';

function spans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'token-test' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  provider.getTracer('t').startSpan('GET /x').end();
  return memory.getFinishedSpans();
}

/** Exports one span with the SDK's exporter; resolves with the result code (0 success) and error message. */
async function exportWith(kind: 'http' | 'grpc', address: { http: string; grpc: string }, token?: string): Promise<{ ok: boolean; error: string }> {
  const metadata = new Metadata();
  if (token) metadata.set('authorization', `Bearer ${token}`);
  const exporter =
    kind === 'http'
      ? new TraceProto({ url: `${address.http}/v1/traces`, headers: token ? { authorization: `Bearer ${token}` } : {} })
      : new TraceGrpc({ url: `http://${address.grpc}`, metadata });
  const r = await new Promise<ExportResult>((resolve) => exporter.export(spans(), resolve));
  await exporter.shutdown();
  return { ok: r.code === 0, error: r.error?.message ?? '' };
}

async function eventually(what: string, cond: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('ingest tokens created through the API', () => {
  let db: TestDatabase;
  let store: Store;
  let bus: Bus;
  let registry: TokenRegistry;
  let api: ApiApp;
  let collector: Collector;
  let proc: ZeroopsProcess;
  let config: Config;
  const here = () => ({ http: collector.httpAddress(), grpc: collector.grpcAddress() });
  const there = { http: '', grpc: '' };

  beforeAll(async () => {
    await assertKafkaReachable();
    db = await createTestDatabase();
    config = loadConfig(
      { DATABASE_URL: db.url, ZEROOPS_API_TOKENS: `admin:${ADMIN}`, ZEROOPS_TOKEN_CACHE_SECONDS: '0.5' },
      { otlpHttpPort: 0, otlpGrpcPort: 0, collectorJsonWorkers: 0 },
    );
    store = await createStore({ databaseUrl: db.url, dataDir: ':memory:', poolSize: 4, connectTimeoutMs: 5_000, logger: silentLogger() });
    bus = createMemoryBus();
    await bus.connect();
    registry = createTokenRegistry({ db: store.db, apiTokens: config.apiTokens, ingestTokens: [], refreshMs: 60_000, logger: silentLogger() });
    await registry.start();
    const telemetry = createTelemetry();
    const topics = topicNames('');
    api = (await buildTestApp({ store, bus, config, telemetry, tokens: registry })).app;
    collector = createCollector({ bus, logger: silentLogger(), telemetry, topics, store, tokens: registry }, config);
    await collector.start();
    proc = spawnZeroops(['collector'], {
      DATABASE_URL: db.url,
      KAFKA_BROKERS: testKafkaBrokers().join(','),
      ZEROOPS_TOPIC_PREFIX: `${uniqueName('tok')}.`,
      ZEROOPS_TOPIC_PARTITIONS: '1',
      ZEROOPS_OTLP_HTTP_PORT: '0',
      ZEROOPS_OTLP_GRPC_PORT: '0',
      ZEROOPS_TOKEN_CACHE_SECONDS: '0.5',
      ZEROOPS_LOG_LEVEL: 'warn',
    });
    there.http = (await proc.waitFor(/OTLP HTTP\s+(http:\/\/\S+)/, 90_000))[1] as string;
    there.grpc = ((await proc.waitFor(/OTLP gRPC\s+(\S+)/, 10_000))[1] as string).replace(/^http:\/\//, '');
  }, 180_000);

  afterAll(async () => {
    proc?.child.kill('SIGTERM');
    await proc?.exited;
    await collector?.stop(2_000);
    await api?.close();
    registry?.stop();
    await bus?.close();
    await store?.close();
    await db?.drop();
  });

  it('ingest is open until the first ingest token exists; then only ingest tokens are accepted, here at once and there within the refresh period', async () => {
    expect((await exportWith('http', here())).ok).toBe(true);
    expect((await exportWith('grpc', there)).ok).toBe(true);
    const res = await api.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: { authorization: `Bearer ${ADMIN}` },
      payload: { name: 'shop-sdk', role: 'ingest' },
    });
    expect(res.statusCode).toBe(201);
    const ingest = res.json() as { id: string; token: string };

    for (const kind of ['http', 'grpc'] as const) {
      expect(await exportWith(kind, here())).toMatchObject({ ok: false });
      expect((await exportWith(kind, here(), ingest.token)).ok).toBe(true);
      expect((await exportWith(kind, here(), ADMIN)).ok).toBe(false);
    }
    // The ingest token is not an API token.
    expect((await api.inject({ url: '/api/v1/playbooks', headers: { authorization: `Bearer ${ingest.token}` } })).statusCode).toBe(401);

    await eventually('the other collector process requires the token', async () => !(await exportWith('http', there)).ok);
    for (const kind of ['http', 'grpc'] as const) expect((await exportWith(kind, there, ingest.token)).ok).toBe(true);

    expect((await api.inject({ method: 'DELETE', url: `/api/v1/tokens/${ingest.id}`, headers: { authorization: `Bearer ${ADMIN}` } })).statusCode).toBe(200);
    for (const kind of ['http', 'grpc'] as const) expect((await exportWith(kind, here(), ingest.token)).ok).toBe(false);
    await eventually('the other collector process refuses the revoked token', async () => !(await exportWith('grpc', there, ingest.token)).ok);
    expect((await exportWith('http', there, ingest.token)).ok).toBe(false);

    // Refusals are audited by both collectors (the shared store), without the token.
    await eventually('refused ingest is audited', async () => {
      const rows = await store.db.select().from(auditLog);
      return rows.filter((r) => r.action === 'auth.deny' && (r.details as { surface?: string }).surface === 'ingest').length >= 4;
    });
    expect(JSON.stringify(await store.db.select().from(auditLog))).not.toContain(ingest.token);
  }, 240_000);
});
