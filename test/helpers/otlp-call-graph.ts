import { ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';

/** Settings of {@link sendCallChainWindows}. */
export interface CallChainTraffic {
  /** The services of the chain, caller first: `['frontend', 'cart', 'db']` means frontend -> cart -> db. */
  chain: string[];
  firstWindowMs: number;
  windowMs: number;
  windows: number;
  /** Requests per window entering the first service. */
  perWindow: number;
  /** Per service, the first window from which `errorShare` of its server spans fail (its caller's client span to it fails too). */
  failFrom: Record<string, number>;
  errorShare: number;
}

/**
 * Sends traces of a chain of services through the OpenTelemetry SDK (one
 * tracer provider per service, each with its own `service.name` resource and
 * `exporter`): every request is a server span in each service, and a client
 * span (with `peer.service`) from each caller whose child is the callee's
 * server span, so the detector sees the call graph. Backdated from
 * `firstWindowMs`, so a detector gets a whole history at once.
 */
export async function sendCallChainWindows(exporterFor: (service: string) => SpanExporter, opts: CallChainTraffic): Promise<void> {
  const providers = opts.chain.map(
    (service) =>
      new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': service, 'service.version': '1.0.0' }),
        spanProcessors: [new BatchSpanProcessor(exporterFor(service), { maxExportBatchSize: 512, scheduledDelayMillis: 50, maxQueueSize: 100_000 })],
      }),
  );
  const tracers = providers.map((p) => p.getTracer('zeroops-test'));
  const failedAt = (hop: number, w: number, i: number) => {
    const from = opts.failFrom[opts.chain[hop] ?? ''];
    return from !== undefined && w >= from && i < Math.round(opts.errorShare * opts.perWindow);
  };
  for (let w = 0; w < opts.windows; w++) {
    for (let i = 0; i < opts.perWindow; i++) {
      const start = opts.firstWindowMs + w * opts.windowMs + Math.floor((i * opts.windowMs) / (opts.perWindow + 1));
      // A callee's failure fails every caller up the chain.
      const fails = opts.chain.map((_, hop) => opts.chain.some((__, below) => below >= hop && failedAt(below, w, i)));
      let parent: Span | undefined;
      opts.chain.forEach((service, hop) => {
        const tracer = tracers[hop];
        if (!tracer) return;
        const t0 = start + hop * 4;
        const t1 = start + 40 - hop * 4 + (i % 3);
        const ctx = parent ? trace.setSpan(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
        const server = tracer.startSpan(`GET /${service}`, { kind: SpanKind.SERVER, startTime: t0, attributes: { 'http.route': `/${service}` } }, ctx);
        if (fails[hop]) server.setStatus({ code: SpanStatusCode.ERROR, message: 'injected fault' });
        server.end(t1);
        const callee = opts.chain[hop + 1];
        if (!callee) return;
        const client = tracer.startSpan(
          `GET ${callee}`,
          { kind: SpanKind.CLIENT, startTime: t0 + 1, attributes: { 'peer.service': callee } },
          trace.setSpan(ROOT_CONTEXT, server),
        );
        if (fails[hop + 1]) client.setStatus({ code: SpanStatusCode.ERROR, message: 'callee failed' });
        client.end(t1 - 1);
        parent = client;
      });
    }
  }
  for (const p of providers) {
    await p.forceFlush();
    await p.shutdown();
  }
}
