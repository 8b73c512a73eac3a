import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';

/**
 * A tracer provider of the OpenTelemetry SDK for a service described by
 * `resource` (`service.name` and any other attributes), exporting through
 * `exporter` in batches (default: up to 512 spans, every 100 ms). The caller
 * owns it: `forceFlush()` to send, `shutdown()` when done.
 */
export function serviceTracerProvider(
  exporter: SpanExporter,
  resource: Record<string, string>,
  batch = { maxExportBatchSize: 512, scheduledDelayMillis: 100 },
): BasicTracerProvider {
  return new BasicTracerProvider({ resource: resourceFromAttributes(resource), spanProcessors: [new BatchSpanProcessor(exporter, batch)] });
}

/**
 * Sends `windows` windows of `windowMs` of server spans for `service` through
 * the OpenTelemetry SDK's `exporter`, `perWindow` spans each, the first
 * `errorShare` of them failed. Backdated from `firstWindowMs`, so a detector
 * sees a whole history at once.
 */
export async function sendServerWindows(
  exporter: SpanExporter,
  opts: {
    service: string;
    firstWindowMs: number;
    windowMs: number;
    windows: number;
    perWindow: number;
    errorShare: number;
    version?: string;
    /** More resource attributes (e.g. `deployment.environment`). */
    resource?: Record<string, string>;
  },
): Promise<void> {
  const resource = { 'service.name': opts.service, ...(opts.version ? { 'service.version': opts.version } : {}), ...opts.resource };
  const provider = serviceTracerProvider(exporter, resource, { maxExportBatchSize: 256, scheduledDelayMillis: 50 });
  const tracer = provider.getTracer('zeroops-test');
  for (let w = 0; w < opts.windows; w++) {
    for (let i = 0; i < opts.perWindow; i++) {
      const start = opts.firstWindowMs + w * opts.windowMs + Math.floor((i * opts.windowMs) / (opts.perWindow + 1));
      const span = tracer.startSpan('GET /cart', { kind: SpanKind.SERVER, startTime: start, attributes: { 'http.route': '/cart' } });
      if (i < Math.round(opts.errorShare * opts.perWindow)) span.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
      span.end(start + 20 + (i % 5));
    }
  }
  await provider.forceFlush();
  await provider.shutdown();
}
