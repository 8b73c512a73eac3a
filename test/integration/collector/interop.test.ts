/**
 * Interop: the OpenTelemetry JS SDK's own OTLP exporters (http/protobuf,
 * http/json, grpc) send traces, metrics and logs to the collector; the
 * records read back from the real Kafka topic must equal, field by field,
 * what the SDK's own JSON serializer says was sent.
 */
import { SeverityNumber } from '@opentelemetry/api-logs';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as LogsGrpc } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as LogsJson } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as LogsProto } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as MetricsGrpc } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as MetricsJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as MetricsProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as TraceGrpc } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as TraceJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as TraceProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { JsonLogsSerializer, JsonMetricsSerializer, JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeResource, type Signal } from '../../../services/otlp/index.ts';
import { type Harness, normalize, startHarness, TopicReader } from './harness.ts';

type Protocol = 'http/protobuf' | 'http/json' | 'grpc';
// http/json and grpc send gzip-compressed bodies, http/protobuf plain ones: both paths are exercised.
const gz = (p: Protocol) => (p === 'http/protobuf' ? {} : { compression: 'gzip' as never });
const PROTOCOLS: Protocol[] = ['http/protobuf', 'http/json', 'grpc'];

interface Exporter<T> {
  export(items: T, done: (r: ExportResult) => void): void;
  shutdown(): Promise<void>;
}

let h: Harness;
const readers = {} as Record<Signal, TopicReader>;

beforeAll(async () => {
  h = await startHarness();
  for (const s of ['traces', 'metrics', 'logs'] as const) readers[s] = await new TopicReader(h.bus, h.topics[s]).start();
});

afterAll(async () => {
  for (const r of Object.values(readers)) await r?.stop();
  await h?.stop();
});

function url(protocol: Protocol, path: string): string {
  return protocol === 'grpc' ? `http://${h.collector.grpcAddress()}` : `${h.collector.httpAddress()}${path}`;
}

async function send<T>(exporter: Exporter<T>, items: T): Promise<void> {
  const result = await new Promise<ExportResult>((resolve) => exporter.export(items, resolve));
  await exporter.shutdown();
  expect(result.error?.message ?? '').toBe('');
  expect(result.code).toBe(0);
}

/** Reads the one record keyed `service` and returns it with the sent resource, both normalised. */
async function readBack(signal: Signal, service: string, sentJson: Uint8Array, key: string): Promise<{ got: unknown; sent: unknown }> {
  const records = await readers[signal].waitFor((rs) => rs.some((r) => r.key === service));
  const mine = records.filter((r) => r.key === service);
  expect(mine).toHaveLength(1);
  expect(mine[0]?.headers['content-type']).toBe('application/x-protobuf');
  expect(Number(mine[0]?.headers['zeroops-received-at'])).toBeGreaterThan(Date.now() - 120_000);
  const sent = (JSON.parse(new TextDecoder().decode(sentJson)) as Record<string, unknown[]>)[key];
  expect(sent).toHaveLength(1);
  expect(JSON.stringify(sent)).toContain(service);
  return { got: normalize(decodeResource(signal, mine[0]?.value as Uint8Array)), sent: normalize(sent?.[0]) };
}

function traceExporter(p: Protocol): Exporter<never> {
  const u = url(p, '/v1/traces');
  return (p === 'grpc'
    ? new TraceGrpc({ url: u, ...gz(p) })
    : p === 'http/json'
      ? new TraceJson({ url: u, ...gz(p) })
      : new TraceProto({ url: u })) as unknown as Exporter<never>;
}

function metricExporter(p: Protocol): Exporter<never> {
  const u = url(p, '/v1/metrics');
  return (p === 'grpc'
    ? new MetricsGrpc({ url: u, ...gz(p) })
    : p === 'http/json'
      ? new MetricsJson({ url: u, ...gz(p) })
      : new MetricsProto({ url: u })) as unknown as Exporter<never>;
}

function logExporter(p: Protocol): Exporter<never> {
  const u = url(p, '/v1/logs');
  return (p === 'grpc'
    ? new LogsGrpc({ url: u, ...gz(p) })
    : p === 'http/json'
      ? new LogsJson({ url: u, ...gz(p) })
      : new LogsProto({ url: u })) as unknown as Exporter<never>;
}

class ManualReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

describe.each(PROTOCOLS)('SDK exporters over %s', (protocol) => {
  const service = `interop-${protocol.replace('/', '-')}`;

  it('traces arrive field by field', async () => {
    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': `${service}-t`, 'deployment.environment': 'test', 'host.cpus': 2 }),
      spanProcessors: [new SimpleSpanProcessor(memory)],
    });
    const tracer = provider.getTracer('interop', '1.0.0');
    tracer.startActiveSpan(
      'GET /orders',
      { kind: 1, attributes: { 'http.route': '/orders', 'http.status_code': 503, ratio: 0.25, ok: false, tags: ['a', 'b'] } },
      (parent) => {
        const child = tracer.startSpan('SELECT orders', { kind: 2, attributes: { 'db.system': 'postgresql', ünïcode: 'ßpan ✓' } });
        child.addEvent('retry', { attempt: 2 });
        child.setStatus({ code: 2, message: 'timeout' });
        child.end();
        parent.addLink({ context: child.spanContext(), attributes: { why: 'follows' } });
        parent.end();
      },
    );
    const spans = memory.getFinishedSpans();
    expect(spans).toHaveLength(2);
    await send(traceExporter(protocol), spans as never);
    const { got, sent } = await readBack('traces', `${service}-t`, JsonTraceSerializer.serializeRequest(spans as never) as Uint8Array, 'resourceSpans');
    expect(got).toEqual(sent);
    await provider.shutdown();
  });

  it('metrics arrive field by field', async () => {
    const reader = new ManualReader();
    const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': `${service}-m` }), readers: [reader] });
    const meter = provider.getMeter('interop');
    meter.createCounter('requests', { unit: '{request}', description: 'served' }).add(7, { route: '/a' });
    meter.createHistogram('latency', { unit: 'ms' }).record(12.5, { route: '/a' });
    meter.createUpDownCounter('queue.depth').add(-3);
    meter.createGauge('temperature').record(21.5, { room: 'lab' });
    const { resourceMetrics, errors } = await reader.collect();
    expect(errors).toEqual([]);
    await send(metricExporter(protocol), resourceMetrics as never);
    const { got, sent } = await readBack(
      'metrics',
      `${service}-m`,
      JsonMetricsSerializer.serializeRequest(resourceMetrics as never) as Uint8Array,
      'resourceMetrics',
    );
    expect(got).toEqual(sent);
    await provider.shutdown();
  });

  it('logs arrive field by field', async () => {
    const memory = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': `${service}-l` }),
      processors: [new SimpleLogRecordProcessor({ exporter: memory })],
    });
    const logger = provider.getLogger('interop');
    logger.emit({ severityNumber: SeverityNumber.ERROR, severityText: 'ERROR', body: 'payment failed', attributes: { 'order.id': 42, retry: true } });
    logger.emit({ severityNumber: SeverityNumber.INFO, body: { structured: 'body', n: 1 } as never });
    await provider.forceFlush();
    const records = memory.getFinishedLogRecords();
    expect(records).toHaveLength(2);
    await send(logExporter(protocol), records as never);
    const { got, sent } = await readBack('logs', `${service}-l`, JsonLogsSerializer.serializeRequest(records as never) as Uint8Array, 'resourceLogs');
    expect(got).toEqual(sent);
    await provider.shutdown();
  });
});
