import {
  type Attributes,
  type Counter,
  type Histogram,
  type Meter,
  metrics,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { Logger } from 'pino';

/**
 * zeroops' own telemetry: an OpenTelemetry tracer and meter, plus a local
 * snapshot of every counter so that `/api/v1/stats` and tests can read what
 * was counted without an exporter.
 *
 * Instruments are created lazily from the global OpenTelemetry API, so a
 * Telemetry made before the SDK starts begins exporting once
 * {@link startSelfTelemetry} has run.
 */
export interface Telemetry {
  readonly tracer: Tracer;
  readonly meter: Meter;
  /** Adds `n` (default 1) to counter `name` with `attrs`; also recorded locally. */
  count(name: string, attrs?: Attributes, n?: number): void;
  /** Records a value (e.g. a latency in ms) on histogram `name`. */
  record(name: string, value: number, attrs?: Attributes): void;
  /** Runs `fn` inside a span named `name`; the span records an error status if `fn` throws. */
  span<T>(name: string, attrs: Attributes, fn: (span: Span) => Promise<T>, kind?: SpanKind): Promise<T>;
  /** Local counter totals keyed by `name{k=v,...}`. */
  snapshot(): Record<string, number>;
  /** Drops cached instruments so that they are re-created from the current global providers. */
  rebind(): void;
  /** Registers a function that {@link Telemetry.shutdown} awaits (e.g. an SDK's shutdown). */
  onShutdown(fn: () => Promise<void>): void;
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
export function createTelemetry(): Telemetry {
  let meter = metrics.getMeter('zeroops');
  const tracer = trace.getTracer('zeroops');
  const counters = new Map<string, Counter>();
  const histograms = new Map<string, Histogram>();
  const totals = new Map<string, number>();
  const shutdowns: Array<() => Promise<void>> = [];
  let stopped = false;
  const t: Telemetry = {
    tracer,
    get meter() {
      return meter;
    },
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
    span(name, attrs, fn, kind = SpanKind.INTERNAL) {
      return tracer.startActiveSpan(name, { attributes: attrs, kind }, async (span) => {
        try {
          return await fn(span);
        } catch (err) {
          span.recordException(err as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
          throw err;
        } finally {
          span.end();
        }
      });
    },
    snapshot() {
      return Object.fromEntries(totals);
    },
    rebind() {
      meter = metrics.getMeter('zeroops');
      counters.clear();
      histograms.clear();
    },
    onShutdown(fn) {
      shutdowns.push(fn);
    },
    async shutdown() {
      if (stopped) return;
      stopped = true;
      for (const fn of shutdowns) await fn();
    },
  };
  return t;
}

/**
 * Starts @opentelemetry/sdk-node for this process when `mode` is not `off`
 * and binds `telemetry` to it. `endpoint` is an OTLP/HTTP base URL (e.g.
 * http://127.0.0.1:4318, possibly this process's own collector). Metrics are
 * exported every `intervalMs`.
 */
export async function startSelfTelemetry(
  telemetry: Telemetry,
  opts: { mode: 'off' | 'otlp' | 'console'; endpoint: string; intervalMs: number; logger: Logger },
): Promise<void> {
  if (opts.mode === 'off') return;
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const { PeriodicExportingMetricReader, ConsoleMetricExporter } = await import('@opentelemetry/sdk-metrics');
  const { ConsoleSpanExporter, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  const { resourceFromAttributes } = await import('@opentelemetry/resources');
  const resource = resourceFromAttributes({ 'service.name': 'zeroops' });
  let sdk: InstanceType<typeof NodeSDK>;
  if (opts.mode === 'console') {
    sdk = new NodeSDK({
      resource,
      spanProcessors: [new BatchSpanProcessor(new ConsoleSpanExporter())],
      metricReaders: [new PeriodicExportingMetricReader({ exporter: new ConsoleMetricExporter(), exportIntervalMillis: opts.intervalMs })],
    });
  } else {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
    const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-proto');
    const base = opts.endpoint.replace(/\/$/, '');
    sdk = new NodeSDK({
      resource,
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${base}/v1/traces` }), { scheduledDelayMillis: Math.min(5000, opts.intervalMs) })],
      metricReaders: [
        new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `${base}/v1/metrics` }), exportIntervalMillis: opts.intervalMs }),
      ],
    });
  }
  sdk.start();
  telemetry.rebind();
  telemetry.onShutdown(() => sdk.shutdown());
  opts.logger.info({ mode: opts.mode, endpoint: opts.endpoint }, 'self-telemetry started');
}
