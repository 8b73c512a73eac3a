import { decodeResourceLogs, decodeResourceMetrics, decodeResourceSpans } from '../otlp/index.ts';
import type { ServiceWindows } from './service-windows.ts';
import { SPAN_KIND, STATUS_ERROR } from './window-features.ts';

const NS_PER_MS = 1_000_000n;

/**
 * Client spans recently seen (span id -> calling service), so that a server
 * span of another service whose parent is one of them becomes a call-graph
 * edge. Bounded: the oldest entries are evicted first.
 */
class RecentClientSpans {
  private readonly map = new Map<string, string>();
  constructor(private readonly cap = 20_000) {}
  set(spanId: string, service: string): void {
    if (this.map.size >= this.cap) {
      const first = this.map.keys().next();
      if (!first.done) this.map.delete(first.value);
    }
    this.map.set(spanId, service);
  }
  get(spanId: string): string | undefined {
    return this.map.get(spanId);
  }
}

const clientSpans = new RecentClientSpans();

/**
 * Adds one ResourceSpans record to the windows: server and consumer spans
 * feed RED features; client spans with `peer.service`, or whose child server
 * span of another service is seen, become call-graph edges. Returns the
 * service name. Throws on undecodable bytes.
 */
export function ingestSpans(bytes: Uint8Array, windows: ServiceWindows): string {
  const rs = decodeResourceSpans(bytes);
  const service = rs.service;
  for (const s of rs.spans) {
    const endMs = Number(s.endUnixNano / NS_PER_MS);
    if (s.kind === SPAN_KIND.server || s.kind === SPAN_KIND.consumer) {
      const acc = windows.windowFor(service, endMs);
      if (!acc) continue;
      const durationMs = Number(s.endUnixNano - s.startUnixNano) / 1e6;
      acc.addRequest(durationMs >= 0 ? durationMs : 0, s.statusCode === STATUS_ERROR);
      const caller = s.parentSpanId ? clientSpans.get(s.parentSpanId) : undefined;
      if (caller && caller !== service) windows.windowFor(caller, endMs)?.addCallee(service);
    } else if (s.kind === SPAN_KIND.client || s.kind === SPAN_KIND.producer) {
      clientSpans.set(s.spanId, service);
      const peer = s.attributes['peer.service'];
      if (typeof peer === 'string' && peer && peer !== service) windows.windowFor(service, endMs)?.addCallee(peer);
    }
  }
  return service;
}

function severityClass(n: number): string {
  if (n >= 21) return 'fatal';
  if (n >= 17) return 'error';
  if (n >= 13) return 'warn';
  if (n >= 9) return 'info';
  return 'debug';
}

/** Adds one ResourceLogs record: counts by severity class. Returns the service name. */
export function ingestLogs(bytes: Uint8Array, windows: ServiceWindows): string {
  const rl = decodeResourceLogs(bytes);
  for (const r of rl.records) {
    const ms = Number((r.timeUnixNano || r.observedTimeUnixNano) / NS_PER_MS);
    windows.windowFor(rl.service, ms)?.addLog(severityClass(r.severityNumber));
  }
  return rl.service;
}

/** Adds one ResourceMetrics record: gauges and sums by value, histograms by mean. Returns the service name. */
export function ingestMetrics(bytes: Uint8Array, windows: ServiceWindows): string {
  const rm = decodeResourceMetrics(bytes);
  for (const m of rm.metrics) {
    for (const p of m.points) {
      const ms = Number(p.timeUnixNano / NS_PER_MS);
      if (!Number.isFinite(p.value)) continue;
      windows.windowFor(rm.service, ms)?.addMetric(m.name, p.value);
    }
  }
  return rm.service;
}
