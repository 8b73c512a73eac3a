import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** What the span load saw: span ids acknowledged by a collector, and every failed export with its reason. */
export interface SpanLedger {
  /** Span id -> when its export was acknowledged, Unix ms. */
  acked: Map<string, number>;
  sent: number;
  failures: { atMs: number; collector: string; error: string }[];
}

/** Keeps ended spans until the load loop exports them itself (so it sees each batch's result). */
class Collecting implements SpanProcessor {
  readonly spans: ReadableSpan[] = [];
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    this.spans.push(span);
  }
  forceFlush = async () => undefined;
  shutdown = async () => undefined;
}

/**
 * Steady span load through the stock OTLP/HTTP protobuf exporter: `perSecond`
 * server spans of `services` services, exported once a second per service,
 * alternating between the collectors. Every batch's result lands in the ledger.
 */
export function startSpanLoad(collectors: () => string[], services: number, perSecond: number): { ledger: SpanLedger; stop(): Promise<void> } {
  const ledger: SpanLedger = { acked: new Map(), sent: 0, failures: [] };
  const sinks = Array.from({ length: services }, (_, i) => {
    const sink = new Collecting();
    const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': `chaos-load-${i}` }), spanProcessors: [sink] });
    return { sink, tracer: provider.getTracer('bench-chaos') };
  });
  const exporters = new Map<string, OTLPTraceExporter>();
  const exporterFor = (base: string) => {
    let e = exporters.get(base);
    if (!e) {
      e = new OTLPTraceExporter({ url: `${base}/v1/traces`, timeoutMillis: 10_000 });
      exporters.set(base, e);
    }
    return e;
  };
  let turn = 0;
  const inflight = new Set<Promise<void>>();
  const tick = () => {
    const n = Math.max(1, Math.round(perSecond / services));
    for (const { tracer } of sinks) for (let i = 0; i < n; i++) tracer.startSpan('GET /item', { kind: SpanKind.SERVER }).end();
    for (const { sink } of sinks) {
      const batch = sink.spans.splice(0);
      const targets = collectors();
      const base = targets[turn++ % targets.length] as string;
      ledger.sent += batch.length;
      const p = new Promise<void>((resolve) =>
        exporterFor(base).export(batch, (r) => {
          // ExportResultCode.SUCCESS is 0 (@opentelemetry/core, not a direct dependency).
          if (r.code === 0) for (const s of batch) ledger.acked.set(s.spanContext().spanId, Date.now());
          else ledger.failures.push({ atMs: Date.now(), collector: base, error: String(r.error?.message ?? r.error ?? 'failed') });
          resolve();
        }),
      );
      inflight.add(p);
      void p.then(() => inflight.delete(p));
    }
  };
  const timer = setInterval(tick, 1000);
  return {
    ledger,
    async stop() {
      clearInterval(timer);
      await Promise.all([...inflight]);
      await Promise.all([...exporters.values()].map((e) => e.shutdown()));
    },
  };
}

/** A remediation target: counts each Idempotency-Key it receives and when it first saw it. */
export interface ActionTarget {
  url: string;
  /** Idempotency-Key -> times received. */
  received: Map<string, number>;
  /** Idempotency-Key -> first arrival, Unix ms. */
  firstAt: Map<string, number>;
  close(): Promise<void>;
}

/** Starts an {@link ActionTarget} on 127.0.0.1. */
export async function startActionTarget(): Promise<ActionTarget> {
  const t: ActionTarget = { url: '', received: new Map(), firstAt: new Map(), close: async () => undefined };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const key = String(req.headers['idempotency-key'] ?? req.url);
      t.received.set(key, (t.received.get(key) ?? 0) + 1);
      if (!t.firstAt.has(key)) t.firstAt.set(key, Date.now());
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return t;
}
