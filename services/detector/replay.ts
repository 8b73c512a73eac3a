/**
 * Replay of exported telemetry for backtests (`zeroops detect` on service
 * history): the live detector's window building on a simulated clock. The
 * clock is the latest event time seen, never the wall clock, so data of
 * any age makes windows exactly as it would have live (same features, same
 * lateness and idle closing); only times more than a day apart within one
 * resource record count as absurd, as they do live.
 */
import type { WindowInput } from '../../models/fleet/index.ts';
import { encodeResource, type Signal } from '../otlp/index.ts';
import { CallGraph } from './call-graph.ts';
import { type IngestCounts, ingestLogs, ingestMetrics, ingestSpans } from './ingest.ts';
import { ServiceWindows } from './service-windows.ts';
import { RED_FEATURES, WindowAccumulator } from './window-features.ts';

/** Span features a column may name directly (others are reported metrics). */
const DIRECT = new Set<string>(RED_FEATURES);

/**
 * The window of one exported row of a service: each column becomes the
 * feature the live detector would have made of it (a column named after a
 * span or log feature, e.g. `error_ratio` or `log_error_rate`, is that
 * feature; any other column is a gauge, `metric:<column>`). Non-finite
 * values are left out, as live.
 */
export function rowWindow(service: string, startMs: number, endMs: number, columns: readonly string[], values: ArrayLike<number>): WindowInput {
  const acc = new WindowAccumulator(service, startMs, endMs);
  const direct: Array<[string, number]> = [];
  for (let i = 0; i < columns.length; i++) {
    const name = columns[i] as string;
    const v = values[i] as number;
    if (!Number.isFinite(v)) continue;
    if (DIRECT.has(name) || /^log_[a-z]+_rate$/.test(name) || name.startsWith('metric:')) direct.push([name, v]);
    else acc.addMetric(name, v);
  }
  const features = acc.features();
  for (const [name, v] of direct) features[name] = v;
  return { service, startMs, endMs, features, callees: [] };
}

/** Latest event time (ms) in an OTLP/JSON resource record, or NaN. */
function latestMs(node: unknown, depth = 0): number {
  if (depth > 8 || node === null || typeof node !== 'object') return Number.NaN;
  let best = Number.NEGATIVE_INFINITY;
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    if ((k === 'endTimeUnixNano' || k === 'timeUnixNano') && (typeof v === 'string' || typeof v === 'number')) {
      const ms = Number(v) / 1e6;
      if (ms > best) best = ms;
    } else if (typeof v === 'object') {
      const inner = latestMs(v, depth + 1);
      if (inner > best) best = inner;
    }
  }
  return Number.isFinite(best) ? best : Number.NaN;
}

/**
 * Builds windows from OTLP/JSON resource records fed in time order (one
 * export request after another), on a simulated clock.
 */
export class OtlpReplay {
  private clock = Number.NEGATIVE_INFINITY;
  private readonly windows: ServiceWindows;
  private readonly graph: CallGraph;
  /** Items skipped, by reason (as the live detector counts them). */
  readonly skipped: IngestCounts = new Map();
  private readonly edgeHorizonMs: number;

  constructor(
    private readonly windowMs: number,
    latenessMs: number,
  ) {
    this.windows = new ServiceWindows(windowMs, latenessMs, () => this.clock);
    this.graph = new CallGraph((edge) => this.windows.knownWindowFor(edge.caller, edge.atMs)?.addCallee(edge.callee));
    this.edgeHorizonMs = Math.max(30 * windowMs, 300_000);
  }

  /** Adds one resource record (ResourceSpans / ResourceMetrics / ResourceLogs in OTLP/JSON); returns its service, if admitted. */
  add(signal: Signal, resource: unknown): string | undefined {
    const t = latestMs(resource);
    if (t > this.clock) this.clock = t;
    const bytes = encodeResource(signal, resource);
    if (signal === 'traces') return ingestSpans(bytes, this.windows, this.skipped, this.graph);
    if (signal === 'logs') return ingestLogs(bytes, this.windows, this.skipped);
    return ingestMetrics(bytes, this.windows, this.skipped);
  }

  /** Closes the windows that are due on the simulated clock (all open ones when `all`), as inputs of the fleet models. */
  close(all = false): WindowInput[] {
    const due = all ? this.windows.closeAll() : this.windows.closeDue();
    return due.map((acc) => ({
      service: acc.service,
      startMs: acc.startMs,
      endMs: acc.endMs,
      features: acc.features(),
      callees: [...new Set([...acc.callees.keys(), ...this.graph.callees(acc.service, acc.endMs - this.edgeHorizonMs)])],
      calls: Object.fromEntries(acc.callees),
    }));
  }

  /** Window length, ms. */
  get windowLengthMs(): number {
    return this.windowMs;
  }
}
