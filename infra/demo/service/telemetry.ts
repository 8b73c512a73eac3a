/**
 * OpenTelemetry set-up of a demo service: the Node SDK with HTTP and runtime
 * instrumentation, exporting traces, metrics and logs over OTLP/HTTP
 * (protobuf) with the stock exporters.
 */
import { type Meter, metrics } from '@opentelemetry/api';
import { type Logger, logs, SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ServiceProcessConfig } from './protocol.ts';
import type { SlotPool } from './slot-pool.ts';

/** The process's telemetry: a log emitter and a flush-and-stop. */
export interface ServiceTelemetry {
  log(severity: 'info' | 'warn' | 'error' | 'fatal', body: string, attributes?: Record<string, string | number>): void;
  shutdown(): Promise<void>;
}

const SEVERITY = { info: SeverityNumber.INFO, warn: SeverityNumber.WARN, error: SeverityNumber.ERROR, fatal: SeverityNumber.FATAL } as const;

/**
 * Names the callee of each outgoing call (`peer.service`, as the semantic
 * conventions have it) from the address of its load balancer, so that a
 * callee that is down and emits nothing is still named by its callers'
 * failing client spans. Calls to other addresses get no name.
 */
export function peerServiceHook(
  peers: Record<string, string>,
): (req: { hostname?: string | null; host?: string | null; port?: string | number | null }) => Record<string, string> {
  const byAddress = new Map(
    Object.entries(peers).map(([name, url]) => {
      const u = new URL(url);
      return [`${u.hostname}:${u.port}`, name];
    }),
  );
  return (req) => {
    const host = req.hostname ?? req.host?.split(':')[0];
    const name = byAddress.get(`${host}:${req.port ?? ''}`);
    const attrs: Record<string, string> = {};
    if (name) attrs['peer.service'] = name;
    return attrs;
  };
}

/**
 * Whether an outgoing request goes to the OTLP endpoint at `endpoint` (the
 * SDK's own exporters): the HTTP instrumentation records those in
 * `http.client.request.duration` like any call (it suppresses their spans,
 * not their metrics), so a leaf's client latency was its exporters' wait for
 * zeroops. On a loaded host that series rose 12 spreads, sustained, and
 * `demo-latency` scaled sessions-db out (short bench run of 6 December
 * 2026, 03:59:57), whose surge then met three replicas and went undetected.
 */
export function exporterRequest(endpoint: string): (req: { hostname?: string | null; host?: string | null; port?: string | number | null }) => boolean {
  const u = new URL(endpoint);
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  return (req) => {
    const host = req.hostname ?? req.host?.split(':')[0];
    return host === u.hostname && String(req.port ?? '80') === port;
  };
}

/**
 * Starts the SDK. Must run before `node:http` is first required, so that the
 * HTTP instrumentation wraps it. With no endpoint, nothing is exported.
 */
export function startTelemetry(cfg: ServiceProcessConfig): ServiceTelemetry {
  if (!cfg.otlpEndpoint) return { log: () => undefined, shutdown: async () => undefined };
  const base = cfg.otlpEndpoint.replace(/\/$/, '');
  const resource = resourceFromAttributes({
    'service.name': cfg.spec.name,
    'service.version': cfg.version,
    'service.instance.id': cfg.instanceId,
    'service.namespace': 'zeroops-demo',
    'deployment.environment.name': 'demo',
  });
  const sdk = new NodeSDK({
    resource,
    autoDetectResources: false,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${base}/v1/traces` }), { scheduledDelayMillis: 1000 })],
    metricReaders: [
      new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `${base}/v1/metrics` }), exportIntervalMillis: cfg.metricIntervalMs }),
    ],
    logRecordProcessors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${base}/v1/logs` }), scheduledDelayMillis: 1000 })],
    instrumentations: [
      new HttpInstrumentation({ startOutgoingSpanHook: peerServiceHook(cfg.peers), ignoreOutgoingRequestHook: exporterRequest(base) }),
      new RuntimeNodeInstrumentation({ monitoringPrecision: 1000 }),
    ],
  });
  sdk.start();
  const logger: Logger = logs.getLogger('zeroops-demo');
  return {
    log(severity, body, attributes) {
      logger.emit({ severityNumber: SEVERITY[severity], severityText: severity.toUpperCase(), body, attributes });
    },
    shutdown: () => sdk.shutdown(),
  };
}

/**
 * Reports the replica's pool as the OpenTelemetry semantic conventions name
 * a database client's connection pool (what @opentelemetry/instrumentation-pg
 * reports for pg-pool): `db.client.connection.count` by state (`used`,
 * `idle`), `db.client.connection.max` and `db.client.connection.pending_requests`
 * (requests waiting for a connection: none is free). A request stuck on an
 * exhausted pool yields no span until it ends; its wait shows here at once.
 * Without a meter provider (no endpoint) nothing is reported; `meter`
 * defaults to the global provider's.
 */
export function observePool(pool: SlotPool, poolName: string, meter: Meter = metrics.getMeter('zeroops-demo')): void {
  const pooled = { 'db.client.connection.pool.name': poolName };
  meter.createObservableUpDownCounter('db.client.connection.count', { unit: '{connection}' }).addCallback((r) => {
    r.observe(pool.busy, { ...pooled, 'db.client.connection.state': 'used' });
    r.observe(Math.max(0, pool.capacity - pool.busy), { ...pooled, 'db.client.connection.state': 'idle' });
  });
  meter.createObservableUpDownCounter('db.client.connection.max', { unit: '{connection}' }).addCallback((r) => r.observe(pool.capacity, pooled));
  meter.createObservableUpDownCounter('db.client.connection.pending_requests', { unit: '{request}' }).addCallback((r) => r.observe(pool.pending, pooled));
}
