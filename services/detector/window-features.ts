/**
 * Per-service, per-window feature accumulation: RED metrics from server and
 * consumer spans, log counts by severity, reported metric values, and call
 * graph edges from client/server span pairs.
 */

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

/** Accumulates one window of one service. Memory is constant per window (a fixed histogram and a few maps). */
export class WindowAccumulator {
  requests = 0;
  errors = 0;
  private readonly hist = new Uint32Array(BUCKETS);
  private readonly logs = new Map<string, number>();
  private readonly metrics = new Map<string, { sum: number; n: number }>();
  /** Callee services seen from this service's client spans in this window. */
  readonly callees = new Map<string, number>();

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

  /** Adds one metric observation (gauge value, rate of a sum, or histogram quantile). */
  addMetric(name: string, value: number): void {
    const m = this.metrics.get(name);
    if (m) {
      m.sum += value;
      m.n++;
    } else this.metrics.set(name, { sum: value, n: 1 });
  }

  /** Records a call edge from this service to `callee`. */
  addCallee(callee: string): void {
    this.callees.set(callee, (this.callees.get(callee) ?? 0) + 1);
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

  /** The window's features. Latency quantiles are 0 when there were no requests. */
  features(): FeatureVector {
    const seconds = (this.endMs - this.startMs) / 1000;
    const f: FeatureVector = {
      request_rate: this.requests / seconds,
      error_ratio: this.requests === 0 ? 0 : this.errors / this.requests,
      latency_p50_ms: this.quantile(0.5),
      latency_p95_ms: this.quantile(0.95),
      latency_p99_ms: this.quantile(0.99),
    };
    for (const [sev, n] of this.logs) f[`log_${sev}_rate`] = n / seconds;
    for (const [name, m] of this.metrics) f[`metric:${name}`] = m.sum / m.n;
    return f;
  }
}
