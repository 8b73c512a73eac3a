import { type Attributes, type Counter, type Histogram, type Meter, metrics, type Tracer, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';

/**
 * zeroops' own telemetry: an OpenTelemetry tracer and meter, plus a local
 * snapshot of every counter so that `/api/v1/stats` and tests can read what
 * was counted without an exporter.
 */
export interface Telemetry {
  readonly tracer: Tracer;
  readonly meter: Meter;
  /** Adds `n` (default 1) to counter `name` with `attrs`; also recorded locally. */
  count(name: string, attrs?: Attributes, n?: number): void;
  /** Records a value (e.g. a latency in ms) on histogram `name`. */
  record(name: string, value: number, attrs?: Attributes): void;
  /** Local counter totals keyed by `name{k=v,...}`. */
  snapshot(): Record<string, number>;
  /** Flushes and stops exporters (idempotent). */
  shutdown(): Promise<void>;
}

function seriesKey(name: string, attrs?: Attributes): string {
  if (!attrs) return name;
  const keys = Object.keys(attrs).sort();
  if (keys.length === 0) return name;
  return `${name}{${keys.map((k) => `${k}=${String(attrs[k])}`).join(',')}}`;
}

/** Builds a {@link Telemetry} over the global OpenTelemetry API (a no-op until an SDK is started). */
export function createTelemetry(opts: { shutdown?: () => Promise<void> } = {}): Telemetry {
  const meter = metrics.getMeter('zeroops');
  const tracer = trace.getTracer('zeroops');
  const counters = new Map<string, Counter>();
  const histograms = new Map<string, Histogram>();
  const totals = new Map<string, number>();
  let stopped = false;
  return {
    tracer,
    meter,
    count(name, attrs, n = 1) {
      let c = counters.get(name);
      if (!c) {
        c = meter.createCounter(name);
        counters.set(name, c);
      }
      c.add(n, attrs);
      const k = seriesKey(name, attrs);
      totals.set(k, (totals.get(k) ?? 0) + n);
    },
    record(name, value, attrs) {
      let h = histograms.get(name);
      if (!h) {
        h = meter.createHistogram(name);
        histograms.set(name, h);
      }
      h.record(value, attrs);
    },
    snapshot() {
      return Object.fromEntries(totals);
    },
    async shutdown() {
      if (stopped) return;
      stopped = true;
      await opts.shutdown?.();
    },
  };
}

/**
 * Starts @opentelemetry/sdk-node for this process when `mode` is not `off`
 * and returns the {@link Telemetry} bound to it. `endpoint` is an OTLP/HTTP
 * base URL (e.g. http://127.0.0.1:4318).
 */
export async function startTelemetry(mode: 'off' | 'otlp' | 'console', endpoint: string, logger: Logger): Promise<Telemetry> {
  if (mode === 'off') return createTelemetry();
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const { PeriodicExportingMetricReader, ConsoleMetricExporter } = await import('@opentelemetry/sdk-metrics');
  const { ConsoleSpanExporter } = await import('@opentelemetry/sdk-trace-base');
  const { resourceFromAttributes } = await import('@opentelemetry/resources');
  let sdk: InstanceType<typeof NodeSDK>;
  const resource = resourceFromAttributes({ 'service.name': 'zeroops' });
  if (mode === 'console') {
    sdk = new NodeSDK({
      resource,
      traceExporter: new ConsoleSpanExporter(),
      metricReaders: [new PeriodicExportingMetricReader({ exporter: new ConsoleMetricExporter(), exportIntervalMillis: 10_000 })],
    });
  } else {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
    const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-proto');
    const base = endpoint.replace(/\/$/, '');
    sdk = new NodeSDK({
      resource,
      traceExporter: new OTLPTraceExporter({ url: `${base}/v1/traces` }),
      metricReaders: [
        new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `${base}/v1/metrics` }), exportIntervalMillis: 10_000 }),
      ],
    });
  }
  sdk.start();
  logger.info({ mode, endpoint }, 'self-telemetry started');
  return createTelemetry({ shutdown: () => sdk.shutdown() });
}
