/**
 * Decodes telemetry records (one OTLP resource each) into the windows of
 * their service. Bad telemetry never reaches a window: a record without a
 * `service.name`, items with absurd times, non-finite values or impossible
 * durations are skipped and counted by reason in {@link IngestCounts}.
 */
import { UNKNOWN_SERVICE } from '../bus/topics.ts';
import { decodeResourceLogs, decodeResourceMetrics, decodeResourceSpans } from '../otlp/index.ts';
import type { CallGraph } from './call-graph.ts';
import { MetricSeries } from './metric-series.ts';
import type { ServiceWindows } from './service-windows.ts';
import { SPAN_KIND, STATUS_ERROR } from './window-features.ts';

const NS_PER_MS = 1_000_000n;
const MAX_SPAN_MS = 86_400_000;

/** Counters of skipped items by reason (`no_service`, `absurd_time`, `late`, `nonfinite`, ...); the caller owns and drains it. */
export type IngestCounts = Map<string, number>;

function bump(counts: IngestCounts, reason: string, n = 1): void {
  counts.set(reason, (counts.get(reason) ?? 0) + n);
}

/** Unix ns (bigint) to ms; NaN for 0 (unset). */
function toMs(ns: bigint): number {
  return ns === 0n ? Number.NaN : Number(ns / NS_PER_MS);
}

/** Returns the window for an item, counting why there is none. */
function windowOf(windows: ServiceWindows, service: string, tMs: number, counts: IngestCounts) {
  const lateBefore = windows.late;
  const acc = windows.windowFor(service, tMs);
  if (!acc) bump(counts, windows.late > lateBefore ? 'late' : 'absurd_time');
  return acc;
}

/**
 * Adds one ResourceSpans record: server and consumer spans feed RED
 * features; client spans with `peer.service`, and client/server span pairs
 * (matched by `graph` in either order), become call-graph edges. Returns the service
 * name, or undefined when the record was skipped. Throws on undecodable bytes.
 */
export function ingestSpans(bytes: Uint8Array, windows: ServiceWindows, counts: IngestCounts, graph: CallGraph): string | undefined {
  const rs = decodeResourceSpans(bytes);
  const service = rs.service;
  if (service === UNKNOWN_SERVICE) {
    bump(counts, 'no_service', rs.spans.length || 1);
    return undefined;
  }
  for (const s of rs.spans) {
    const endMs = toMs(s.endUnixNano);
    const durationMs = Number(s.endUnixNano - s.startUnixNano) / 1e6;
    if (s.kind === SPAN_KIND.server || s.kind === SPAN_KIND.consumer) {
      if (!(durationMs >= 0 && durationMs <= MAX_SPAN_MS) || s.startUnixNano === 0n) {
        bump(counts, 'bad_duration');
        continue;
      }
      const acc = windowOf(windows, service, endMs, counts);
      if (!acc) continue;
      acc.addRequest(durationMs, s.statusCode === STATUS_ERROR);
      if (s.parentSpanId) graph.server(s.parentSpanId, service, endMs);
    } else if (s.kind === SPAN_KIND.client || s.kind === SPAN_KIND.producer) {
      if (!windows.saneTime(endMs)) {
        bump(counts, 'absurd_time');
        continue;
      }
      graph.client(s.spanId, service);
      const acc = windowOf(windows, service, endMs, counts);
      const peer = s.attributes['peer.service'];
      if (acc && typeof peer === 'string' && peer) graph.peer(service, peer, endMs);
    }
  }
  return service;
}

/** Severity class of an OTLP severity number (1-4 trace ... 21-24 fatal); 0 (unset) counts as info. */
export function severityClass(n: number): string {
  if (n >= 21) return 'fatal';
  if (n >= 17) return 'error';
  if (n >= 13) return 'warn';
  if (n >= 9 || n === 0) return 'info';
  return 'debug';
}

/** Adds one ResourceLogs record: counts by severity class. Returns the service name, or undefined when skipped. */
export function ingestLogs(bytes: Uint8Array, windows: ServiceWindows, counts: IngestCounts): string | undefined {
  const rl = decodeResourceLogs(bytes);
  if (rl.service === UNKNOWN_SERVICE) {
    bump(counts, 'no_service', rl.logs.length || 1);
    return undefined;
  }
  for (const r of rl.logs) {
    const ms = toMs(r.timeUnixNano || r.observedTimeUnixNano);
    windowOf(windows, rl.service, ms, counts)?.addLog(severityClass(r.severityNumber));
  }
  return rl.service;
}

/**
 * Adds one ResourceMetrics record: gauges as values, sums as increments
 * (cumulative ones differenced per series), histograms as bucket counts,
 * summaries as one gauge per quantile. Returns the service name, or
 * undefined when skipped.
 */
export function ingestMetrics(bytes: Uint8Array, windows: ServiceWindows, counts: IngestCounts): string | undefined {
  const rm = decodeResourceMetrics(bytes);
  if (rm.service === UNKNOWN_SERVICE) {
    bump(counts, 'no_service', rm.metrics.length || 1);
    return undefined;
  }
  const series = windows.seriesOf(rm.service);
  for (const m of rm.metrics) {
    for (const p of m.points) {
      const ms = toMs(p.timeUnixNano);
      if (!windows.saneTime(ms)) {
        bump(counts, 'absurd_time');
        windows.absurd++;
        continue;
      }
      if (m.kind === 'summary') {
        const gauges = MetricSeries.summaryGauges(m, p);
        if (gauges.length === 0) bump(counts, 'nonfinite');
        const acc = gauges.length > 0 ? windowOf(windows, rm.service, ms, counts) : undefined;
        for (const g of gauges) acc?.addMetric(g.name, g.value);
        continue;
      }
      const r = series.convert(m, p, ms);
      if (!r.ok) {
        bump(counts, r.reason);
        continue;
      }
      const c = r.contribution;
      if (!c) continue;
      const acc = windowOf(windows, rm.service, ms, counts);
      if (!acc) continue;
      if (c.type === 'gauge') acc.addMetric(c.name, c.value);
      else if (c.type === 'increment') acc.addIncrement(c.name, c.value);
      else if (!acc.addHistogram(c.name, c.bounds, c.counts)) bump(counts, 'bad_histogram');
    }
  }
  return rm.service;
}
