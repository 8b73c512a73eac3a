/**
 * Decodes telemetry records (one OTLP resource each) into the windows of
 * their service. Bad telemetry never reaches a window: a record without a
 * `service.name`, or whose service is not admitted (a name too long or with
 * control characters, or a new service beyond the cap), items with absurd
 * times, non-finite values or impossible durations are skipped and counted
 * by reason in {@link IngestCounts}.
 */
import { UNKNOWN_SERVICE } from '../bus/topics.ts';
import { decodeResourceLogs, decodeResourceMetrics, decodeResourceSpans } from '../otlp/index.ts';
import type { CallGraph } from './call-graph.ts';
import { MetricSeries } from './metric-series.ts';
import { type Admission, cleanServiceName } from './service-limits.ts';
import type { ServiceWindows } from './service-windows.ts';
import { SPAN_KIND, STATUS_ERROR } from './window-features.ts';

const NS_PER_MS = 1_000_000n;
const MAX_SPAN_MS = 86_400_000;

/** Counters of skipped items by reason (`no_service`, `absurd_time`, `late`, `nonfinite`, ...); the caller owns and drains it. */
export type IngestCounts = Map<string, number>;

function bump(counts: IngestCounts, reason: string, n = 1): void {
  counts.set(reason, (counts.get(reason) ?? 0) + n);
}

/**
 * Decides whether a record of service `name` (with its resource attributes)
 * is ingested, and under which name (the detector's is `ServiceTracker.admit`).
 */
export type Admit = (name: string, resource: Record<string, unknown>) => Admission;

/** The default {@link Admit}: every service with an acceptable name (no cap). */
export const admitValidNames: Admit = (name) => {
  const service = cleanServiceName(name);
  return service === undefined ? { refused: 'bad_service_name' } : { service };
};

/** Longest span id the call graph keeps, in hex characters (OTLP's are 16). */
const MAX_SPAN_ID_HEX = 32;

/** The admitted service of a decoded resource, or undefined (counted by reason, per item). */
function admitted(
  rec: { service: string; resourceAttributes: Record<string, unknown> },
  items: number,
  counts: IngestCounts,
  admit: Admit,
): string | undefined {
  if (rec.service === UNKNOWN_SERVICE) {
    bump(counts, 'no_service', items || 1);
    return undefined;
  }
  const a = admit(rec.service, rec.resourceAttributes);
  if (a.refused) bump(counts, a.refused, items || 1);
  return a.service;
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
export function ingestSpans(
  bytes: Uint8Array,
  windows: ServiceWindows,
  counts: IngestCounts,
  graph: CallGraph,
  admit: Admit = admitValidNames,
): string | undefined {
  const rs = decodeResourceSpans(bytes);
  const service = admitted(rs, rs.spans.length, counts, admit);
  if (service === undefined) return undefined;
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
      if (s.parentSpanId && s.parentSpanId.length <= MAX_SPAN_ID_HEX) graph.server(s.parentSpanId, service, endMs, false, s.statusCode === STATUS_ERROR);
    } else if (s.kind === SPAN_KIND.client || s.kind === SPAN_KIND.producer) {
      if (!windows.saneTime(endMs)) {
        bump(counts, 'absurd_time');
        continue;
      }
      if (s.spanId.length <= MAX_SPAN_ID_HEX) graph.client(s.spanId, service);
      const acc = windowOf(windows, service, endMs, counts);
      const raw = s.attributes['peer.service'];
      const peer = typeof raw === 'string' ? cleanServiceName(raw) : undefined;
      const waitedMs = durationMs >= 0 && durationMs <= MAX_SPAN_MS && s.startUnixNano !== 0n ? durationMs : undefined;
      if (acc && peer) graph.peer(service, peer, endMs, s.statusCode === STATUS_ERROR, waitedMs);
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
export function ingestLogs(bytes: Uint8Array, windows: ServiceWindows, counts: IngestCounts, admit: Admit = admitValidNames): string | undefined {
  const rl = decodeResourceLogs(bytes);
  const service = admitted(rl, rl.logs.length, counts, admit);
  if (service === undefined) return undefined;
  for (const r of rl.logs) {
    const ms = toMs(r.timeUnixNano || r.observedTimeUnixNano);
    windowOf(windows, service, ms, counts)?.addLog(severityClass(r.severityNumber));
  }
  return service;
}

/**
 * Adds one ResourceMetrics record: gauges as values, sums as increments
 * (cumulative ones differenced per series), histograms as bucket counts,
 * summaries as one gauge per quantile. Returns the service name, or
 * undefined when skipped.
 */
export function ingestMetrics(bytes: Uint8Array, windows: ServiceWindows, counts: IngestCounts, admit: Admit = admitValidNames): string | undefined {
  const rm = decodeResourceMetrics(bytes);
  const service = admitted(rm, rm.metrics.length, counts, admit);
  if (service === undefined) return undefined;
  const series = windows.seriesOf(service);
  const instanceId = rm.resourceAttributes['service.instance.id'];
  const instance = typeof instanceId === 'string' ? instanceId : '';
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
        const acc = gauges.length > 0 ? windowOf(windows, service, ms, counts) : undefined;
        for (const g of gauges) acc?.addMetric(g.name, g.value);
        continue;
      }
      const r = series.convert(m, p, ms, instance);
      if (!r.ok) {
        bump(counts, r.reason);
        continue;
      }
      const c = r.contribution;
      if (!c) continue;
      const acc = windowOf(windows, service, ms, counts);
      if (!acc) continue;
      if (c.type === 'gauge') acc.addMetric(c.name, c.value);
      else if (c.type === 'increment') acc.addIncrement(c.name, c.value, instance);
      else if (!acc.addHistogram(c.name, c.bounds, c.counts)) bump(counts, 'bad_histogram');
    }
  }
  return service;
}
