/**
 * Per-service, per-window feature accumulation: RED metrics from server and
 * consumer spans, log counts by severity, reported metric values, and call
 * graph edges from client/server span pairs.
 */
import { histogramQuantile } from './metric-series.ts';

/** Span kinds of OTLP (`Span.SpanKind`). */
export const SPAN_KIND = { unspecified: 0, internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;
/** OTLP `Status.StatusCode.STATUS_CODE_ERROR`. */
export const STATUS_ERROR = 2;

/** Log-spaced latency buckets: bucket i holds latencies below 2^(i/4) ms (about 19% apart). */
const BUCKETS = 96;
function bucketOf(ms: number): number {
  if (!(ms > 0)) return 0;
  const b = Math.ceil(4 * Math.log2(ms)) + 16;
  return b < 0 ? 0 : b >= BUCKETS ? BUCKETS - 1 : b;
}
function bucketUpper(b: number): number {
  return 2 ** ((b - 16) / 4);
}

/** The features of one closed window of one service. Rates are per second. */
export type FeatureVector = Record<string, number>;

/** Names of the span-derived features, in a fixed order. */
export const RED_FEATURES = ['request_rate', 'error_ratio', 'latency_p50_ms', 'latency_p95_ms', 'latency_p99_ms'] as const;

/** Most metric-derived features one window reports (the rest are counted as dropped). */
export const MAX_METRIC_FEATURES = 24;

/**
 * Metric namespaces of a process's own runtime (OpenTelemetry semantic
 * conventions: `process.*`, `nodejs.*`, `v8js.*`, `jvm.*`, ...). Their
 * counters (CPU time, event-loop time, GC time) measure one process each:
 * summed over a service's replicas, the event-loop time of a datastore
 * scaled out to three replicas read 3 s/s against the 1 s/s its baseline
 * learned, and kept an episode open for 40 minutes. A window reports them
 * per reporting instance (the mean of the replicas), comparable before and
 * after a scale-out; other counters (demand: requests, messages) stay the
 * service's total.
 */
const PER_PROCESS_METRIC = /^(process|nodejs|v8js|jvm|go|dotnet|cpython|python|ruby|beam|erlang)\./;

/** Whether counter `name` measures one process (see {@link PER_PROCESS_METRIC}), so that a window reports its rate per instance. */
export function isPerProcessCounter(name: string): boolean {
  return PER_PROCESS_METRIC.test(name);
}

/** Serializable state of a {@link WindowAccumulator} (an open window, checkpointed). */
export interface WindowState {
  service: string;
  startMs: number;
  endMs: number;
  requests: number;
  errors: number;
  /** Non-zero latency buckets as [bucket, count] pairs. */
  hist: Array<[number, number]>;
  logs: Record<string, number>;
  gauges: Record<string, [sum: number, n: number]>;
  increments: Record<string, number>;
  histograms: Record<string, { bounds: number[]; counts: number[] }>;
  callees: Record<string, number>;
  /** Failed calls to each callee (absent in checkpoints written before it existed). */
  calleeErrors?: Record<string, number>;
  /** Instances that reported each per-process counter (absent in checkpoints written before it existed). */
  counterInstances?: Record<string, string[]>;
}

/** Accumulates one window of one service. Memory is constant per window (a fixed histogram and a few bounded maps). */
export class WindowAccumulator {
  requests = 0;
  errors = 0;
  private readonly hist = new Uint32Array(BUCKETS);
  private readonly logs = new Map<string, number>();
  private readonly gauges = new Map<string, { sum: number; n: number }>();
  private readonly increments = new Map<string, number>();
  /** Per per-process counter, the instances that reported it this window (a few replicas at most). */
  private readonly counterInstances = new Map<string, string[]>();
  private readonly histograms = new Map<string, { bounds: number[]; counts: number[] }>();
  /** Callee services seen from this service's client spans in this window. */
  readonly callees = new Map<string, number>();
  /** Of those, the failed calls per callee. */
  readonly calleeErrors = new Map<string, number>();
  /** Metric contributions refused because the window already had {@link MAX_METRIC_FEATURES} metrics. */
  droppedMetrics = 0;

  constructor(
    readonly service: string,
    readonly startMs: number,
    readonly endMs: number,
  ) {}

  /** Adds one server or consumer span. */
  addRequest(durationMs: number, isError: boolean): void {
    this.requests++;
    if (isError) this.errors++;
    this.hist[bucketOf(durationMs)]!++;
  }

  /** Adds one log record of the given severity class (e.g. `error`). */
  addLog(severity: string): void {
    this.logs.set(severity, (this.logs.get(severity) ?? 0) + 1);
  }

  private metricCount(): number {
    return this.gauges.size + this.increments.size + this.histograms.size;
  }

  private room<T>(map: Map<string, T>, name: string): boolean {
    if (map.has(name) || this.metricCount() < MAX_METRIC_FEATURES) return true;
    this.droppedMetrics++;
    return false;
  }

  /** Adds one gauge observation (the window reports the mean of its observations). */
  addMetric(name: string, value: number): void {
    if (!Number.isFinite(value) || !this.room(this.gauges, name)) return;
    const m = this.gauges.get(name);
    if (m) {
      m.sum += value;
      m.n++;
    } else this.gauges.set(name, { sum: value, n: 1 });
  }

  /**
   * Adds an increment of a counter reported by `instance` (its
   * `service.instance.id`, empty when unknown). The window reports the total
   * per second, per reporting instance for a counter of a process's own
   * runtime ({@link isPerProcessCounter}).
   */
  addIncrement(name: string, value: number, instance = ''): void {
    if (!Number.isFinite(value) || !this.room(this.increments, name)) return;
    this.increments.set(name, (this.increments.get(name) ?? 0) + value);
    if (instance === '' || !isPerProcessCounter(name)) return;
    const seen = this.counterInstances.get(name);
    if (!seen) this.counterInstances.set(name, [instance]);
    else if (!seen.includes(instance)) seen.push(instance);
  }

  /**
   * Adds histogram bucket counts. Counts with other bounds than the first
   * ones this window saw for `name` are refused (returns false).
   */
  addHistogram(name: string, bounds: readonly number[], counts: readonly number[]): boolean {
    if (!this.room(this.histograms, name)) return true;
    const h = this.histograms.get(name);
    if (!h) {
      this.histograms.set(name, { bounds: [...bounds], counts: [...counts] });
      return true;
    }
    if (h.bounds.length !== bounds.length || h.bounds.some((b, i) => b !== bounds[i])) return false;
    for (let i = 0; i < counts.length; i++) h.counts[i] = (h.counts[i] as number) + (counts[i] as number);
    return true;
  }

  /** Records a call edge from this service to `callee`; `failed` when the call failed. */
  addCallee(callee: string, failed = false): void {
    this.callees.set(callee, (this.callees.get(callee) ?? 0) + 1);
    if (failed) this.calleeErrors.set(callee, (this.calleeErrors.get(callee) ?? 0) + 1);
  }

  private quantile(q: number): number {
    if (this.requests === 0) return 0;
    const target = q * this.requests;
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.hist[b]!;
      if (seen >= target) return bucketUpper(b);
    }
    return bucketUpper(BUCKETS - 1);
  }

  /**
   * The window's features. Latency quantiles are 0 when there were no
   * requests; counters become `metric:<name>:rate` (per second), histograms
   * `metric:<name>:p50|p95|p99`, gauges `metric:<name>` (mean).
   */
  features(): FeatureVector {
    const seconds = (this.endMs - this.startMs) / 1000;
    const f: FeatureVector = { request_rate: this.requests / seconds };
    // A window without requests has no latency and no error ratio: reported as 0 they taught the baselines that a
    // service answers in 0 ms (a window that held only its metrics, spans exported late), and then every normal
    // window of it looked slow.
    if (this.requests > 0) {
      f.error_ratio = this.errors / this.requests;
      f.latency_p50_ms = this.quantile(0.5);
      f.latency_p95_ms = this.quantile(0.95);
      f.latency_p99_ms = this.quantile(0.99);
    }
    for (const [sev, n] of this.logs) f[`log_${sev}_rate`] = n / seconds;
    for (const [name, m] of this.gauges) f[`metric:${name}`] = m.sum / m.n;
    for (const [name, v] of this.increments) f[`metric:${name}:rate`] = v / seconds / Math.max(1, this.counterInstances.get(name)?.length ?? 1);
    for (const [name, h] of this.histograms) {
      for (const q of [50, 95, 99]) {
        const v = histogramQuantile(h.bounds, h.counts, q / 100);
        if (Number.isFinite(v)) f[`metric:${name}:p${q}`] = v;
      }
    }
    return f;
  }

  /** A copy of the state, safe to JSON-serialize. */
  toJSON(): WindowState {
    const hist: Array<[number, number]> = [];
    for (let b = 0; b < BUCKETS; b++) if (this.hist[b]) hist.push([b, this.hist[b] as number]);
    return {
      service: this.service,
      startMs: this.startMs,
      endMs: this.endMs,
      requests: this.requests,
      errors: this.errors,
      hist,
      logs: Object.fromEntries(this.logs),
      gauges: Object.fromEntries([...this.gauges].map(([k, v]) => [k, [v.sum, v.n]])),
      increments: Object.fromEntries(this.increments),
      histograms: structuredClone(Object.fromEntries(this.histograms)),
      callees: Object.fromEntries(this.callees),
      calleeErrors: Object.fromEntries(this.calleeErrors),
      counterInstances: structuredClone(Object.fromEntries(this.counterInstances)),
    };
  }

  /** Rebuilds an accumulator from {@link WindowAccumulator.toJSON} output. */
  static fromJSON(s: WindowState): WindowAccumulator {
    const w = new WindowAccumulator(s.service, s.startMs, s.endMs);
    w.requests = s.requests;
    w.errors = s.errors;
    for (const [b, n] of s.hist) if (b >= 0 && b < BUCKETS) w.hist[b] = n;
    for (const [k, v] of Object.entries(s.logs)) w.logs.set(k, v);
    for (const [k, [sum, n]] of Object.entries(s.gauges)) w.gauges.set(k, { sum, n });
    for (const [k, v] of Object.entries(s.increments)) w.increments.set(k, v);
    for (const [k, v] of Object.entries(s.histograms)) w.histograms.set(k, structuredClone(v));
    for (const [k, v] of Object.entries(s.callees)) w.callees.set(k, v);
    for (const [k, v] of Object.entries(s.calleeErrors ?? {})) w.calleeErrors.set(k, v);
    for (const [k, v] of Object.entries(s.counterInstances ?? {})) w.counterInstances.set(k, [...v]);
    return w;
  }
}
