import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { assertKafkaReachable, testKafkaBrokers, uniqueName } from '../helpers/kafka.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { freePort, spawnZeroops, tcpConnect, type ZeroopsProcess } from '../helpers/zeroops-process.ts';

const freePorts = { ZEROOPS_API_PORT: '0', ZEROOPS_OTLP_HTTP_PORT: '0', ZEROOPS_OTLP_GRPC_PORT: '0' };

describe('zeroops start (the binary)', () => {
  it('embedded mode answers /readyz, then exits 0 on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'zeroops-run-'));
    const p = spawnZeroops(['start'], { ...freePorts, ZEROOPS_DATA_DIR: dataDir });
    try {
      const [, api] = await p.waitFor(/API\s+(http:\/\/\S+)/, 30_000);
      expect(p.stdout()).toMatch(/OTLP HTTP\s+http:\/\/127\.0\.0\.1:\d+/);
      expect(p.stdout()).toMatch(/bus memory, store pglite/);
      const ready = await fetch(`${api}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', checks: { bus: 'ok', store: 'ok' } });
      expect((await fetch(`${api}/healthz`)).status).toBe(200);
    } finally {
      p.child.kill('SIGTERM');
    }
    expect(await p.exited).toBe(0);
  });

  it('production mode (Kafka + Postgres) answers /readyz, then drains and exits 0 on SIGINT', async () => {
    await assertKafkaReachable();
    const db = await createTestDatabase();
    const p = spawnZeroops(['start'], {
      ...freePorts,
      KAFKA_BROKERS: testKafkaBrokers().join(','),
      DATABASE_URL: db.url,
      ZEROOPS_TOPIC_PREFIX: `${uniqueName('start')}.`,
    });
    try {
      const [, api] = await p.waitFor(/API\s+(http:\/\/\S+)/, 60_000);
      expect(p.stdout()).toMatch(/bus kafka, store postgres/);
      const ready = await fetch(`${api}/readyz`);
      expect(await ready.json()).toMatchObject({ status: 'ready', bus: 'kafka', store: 'postgres' });
    } finally {
      p.child.kill('SIGINT');
    }
    expect(await p.exited, p.stderr()).toBe(0);
    await db.drop();
  });

  it('fails within 30 s naming Kafka when KAFKA_BROKERS points at a closed port', async () => {
    const t0 = Date.now();
    const p = spawnZeroops(['start'], {
      ...freePorts,
      KAFKA_BROKERS: '127.0.0.1:1',
      ZEROOPS_CONNECT_TIMEOUT_MS: '8000',
      ZEROOPS_DATA_DIR: mkdtempSync(join(tmpdir(), 'zeroops-run-')),
    });
    const code = await p.exited;
    expect(code).not.toBe(0);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(p.stderr()).toMatch(/Kafka/);
    expect(p.stderr()).toContain('127.0.0.1:1');
  });

  it('fails within 30 s naming the database when DATABASE_URL cannot connect', async () => {
    const t0 = Date.now();
    const p = spawnZeroops(['start'], { ...freePorts, DATABASE_URL: 'postgres://zeroops:hunter2@127.0.0.1:1/zeroops', ZEROOPS_CONNECT_TIMEOUT_MS: '8000' });
    const code = await p.exited;
    expect(code).not.toBe(0);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(p.stderr()).toContain('127.0.0.1:1');
    expect(p.stderr()).not.toContain('hunter2');
  });

  it('refuses an invalid setting, naming it', async () => {
    const p = spawnZeroops(['start'], { ZEROOPS_API_PORT: 'http' });
    expect(await p.exited).not.toBe(0);
    expect(p.stderr()).toMatch(/ZEROOPS_API_PORT: got "http", expected an integer/);
  });
});

/** One finished server span of `service`. */
function oneSpan(service: string): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  provider.getTracer('readiness').startSpan('GET /ready', { kind: SpanKind.SERVER }).end();
  return memory.getFinishedSpans();
}

/** Exports `spans` once through `exporter` and returns the result code (no retry by the caller). */
function exportOnce(exporter: SpanExporter, spans: ReadableSpan[]): Promise<ExportResultCode> {
  return new Promise((resolve) => exporter.export(spans, (r) => resolve(r.code)));
}

interface ReadyProbe {
  status: number;
  body: Record<string, unknown>;
}

/** One GET /readyz; undefined when the connection is refused or reset. */
async function probe(api: string): Promise<ReadyProbe | undefined> {
  try {
    const r = await fetch(`${api}/readyz`, { signal: AbortSignal.timeout(5_000) });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  } catch (err) {
    // fetch reports a refused or reset connection as a TypeError; a timeout is a real failure.
    if (err instanceof TypeError) return undefined;
    throw err;
  }
}

/** Polls /readyz every 10 ms from the process's first moment until it answers 200 (failing after 60 s or on exit). */
async function firstReady(p: ZeroopsProcess, api: string): Promise<ReadyProbe[]> {
  const seen: ReadyProbe[] = [];
  const deadline = Date.now() + 360_000;
  for (;;) {
    const r = await probe(api);
    if (r) seen.push(r);
    if (r?.status === 200) return seen;
    if (p.child.exitCode !== null || Date.now() > deadline) throw new Error(`no 200 from /readyz within 360 s (exit ${p.child.exitCode}):\n${p.stderr()}`);
    await new Promise((res) => setTimeout(res, 10));
  }
}

/** Starts an OTLP/HTTP request that sends its headers and half its body, then holds: the collector must wait for it while draining. */
function holdRequest(port: number): () => void {
  const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/traces', headers: { 'content-type': 'application/json', 'content-length': '64' } });
  req.on('error', () => undefined);
  req.write('{"resourceSpans":');
  return () => req.destroy();
}

describe('/readyz means ready', () => {
  it('answers 200 only once both OTLP listeners accept, and 503 (draining) from the start of a shutdown', { timeout: 600_000 }, async () => {
    const [apiPort, httpPort, grpcPort] = [await freePort(), await freePort(), await freePort()];
    const api = `http://127.0.0.1:${apiPort}`;
    const p = spawnZeroops(['start'], {
      ZEROOPS_API_PORT: String(apiPort),
      ZEROOPS_OTLP_HTTP_PORT: String(httpPort),
      ZEROOPS_OTLP_GRPC_PORT: String(grpcPort),
      ZEROOPS_DATA_DIR: mkdtempSync(join(tmpdir(), 'zeroops-ready-')),
      ZEROOPS_SHUTDOWN_TIMEOUT_MS: '4000',
      // A loaded machine may take long to open PGlite; readiness, not speed, is under test.
      ZEROOPS_CONNECT_TIMEOUT_MS: '120000',
    });
    let release: () => void = () => undefined;
    let signalled = false;
    try {
      const seen = await firstReady(p, api);
      // The instant of the first 200: both listeners must already accept connections.
      await Promise.all([tcpConnect(httpPort), tcpConnect(grpcPort)]);
      const spans = oneSpan('ready-check');
      const grpc = new GrpcTraceExporter({ url: `http://127.0.0.1:${grpcPort}` });
      const json = new JsonTraceExporter({ url: `http://127.0.0.1:${httpPort}/v1/traces` });
      expect(await Promise.all([exportOnce(grpc, spans), exportOnce(json, spans)])).toEqual([ExportResultCode.SUCCESS, ExportResultCode.SUCCESS]);
      await Promise.all([grpc.shutdown(), json.shutdown()]);
      const ready = seen.at(-1)?.body;
      expect(ready).toMatchObject({ status: 'ready', components: { collector: 'ok', detector: 'ok', executor: 'ok', api: 'ok' } });
      // Every earlier answer was a 503 saying what was not ready yet.
      for (const r of seen.slice(0, -1)) expect(r.status).toBe(503);

      release = holdRequest(httpPort);
      await new Promise((res) => setTimeout(res, 200));
      signalled = p.child.kill('SIGTERM');
      let draining: ReadyProbe | undefined;
      for (const until = Date.now() + 10_000; Date.now() < until && !draining; ) {
        const r = await probe(api);
        if (r?.status === 503) draining = r;
        else if (!r) break;
      }
      expect(draining?.body).toMatchObject({ status: 'draining' });
      // Nothing after the first 503 says ready again.
      for (let i = 0; i < 10; i++) expect((await probe(api))?.status ?? 503).toBe(503);
    } finally {
      release();
      if (!signalled) p.child.kill('SIGTERM');
    }
    expect(await p.exited, p.stderr()).toBe(0);
  });
});
