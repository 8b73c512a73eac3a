/**
 * Turns reported OTLP metric points into per-window contributions: gauges as
 * values, sums as increments (cumulative series are differenced against the
 * previous point of the same series, delta series taken as they are) and
 * histograms as bucket-count increments, so that a window's features are
 * rates and quantiles of what happened inside that window.
 */
import type { DecodedDataPoint, DecodedMetric } from '../otlp/index.ts';

/** OTLP `AggregationTemporality`. */
export const TEMPORALITY = { unspecified: 0, delta: 1, cumulative: 2 } as const;

/** What one metric point adds to a window. */
export type MetricContribution =
  | { type: 'gauge'; name: string; value: number }
  | { type: 'increment'; name: string; value: number }
  | { type: 'histogram'; name: string; bounds: number[]; counts: number[] };

/** Serializable previous point of one cumulative series. */
export interface SeriesPoint {
  /** Start time (Unix ns, as a decimal string) of the cumulative series; a change means a reset. */
  start: string;
  /** Time of the point, Unix ms. */
  t: number;
  /** Cumulative value (sums) or cumulative bucket counts (histograms, count first). */
  v: number[];
}

/** Serializable state of a {@link MetricSeries}: previous cumulative points by series key. */
export type MetricSeriesState = Record<string, SeriesPoint>;

/** Why a point was skipped (each is counted by the caller). */
export type SkipReason = 'nonfinite' | 'bad_histogram' | 'first_cumulative' | 'unsupported' | 'series_limit';

/** Result of converting one point. */
export type PointResult = { ok: true; contribution: MetricContribution | null } | { ok: false; reason: SkipReason };

const finite = (x: number | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

function seriesKey(name: string, attrs: Record<string, unknown>, instance: string): string {
  const keys = Object.keys(attrs);
  // Each instance of a service (a replica) reports its own cumulative series: interleaved, two replicas' counters
  // would look like a reset at every point and count their whole totals again and again.
  const base = instance ? `${name}@${instance}` : name;
  if (keys.length === 0) return base;
  keys.sort();
  return `${base}|${keys.map((k) => `${k}=${String(attrs[k])}`).join(',')}`;
}

/**
 * Per-service memory of cumulative series. Bounded: at most `maxSeries`
 * series are remembered; points of further series are skipped (counted).
 */
export class MetricSeries {
  private readonly prev: Map<string, SeriesPoint>;

  constructor(
    private readonly maxSeries = 128,
    state: MetricSeriesState = {},
  ) {
    this.prev = new Map(Object.entries(state));
  }

  /**
   * Converts one point of `m` at `tMs` (already validated as a sane time);
   * `instance` is the reporting process (`service.instance.id`; empty when
   * unknown), whose cumulative series are kept apart from other replicas'.
   */
  convert(m: DecodedMetric, p: DecodedDataPoint, tMs: number, instance = ''): PointResult {
    switch (m.kind) {
      case 'gauge':
        return finite(p.value) ? { ok: true, contribution: { type: 'gauge', name: m.name, value: p.value } } : { ok: false, reason: 'nonfinite' };
      case 'sum':
        return this.sum(m, p, tMs, instance);
      case 'histogram':
        return this.histogram(m, p, tMs, instance);
      case 'exponential_histogram':
        return this.meanOnly(m, p, tMs, instance);
      case 'summary':
        return { ok: false, reason: 'unsupported' };
      default:
        return { ok: false, reason: 'unsupported' };
    }
  }

  /** Summary points become one gauge per reported quantile (`<name>:p50`, ...); non-finite quantiles are dropped. */
  static summaryGauges(m: DecodedMetric, p: DecodedDataPoint): Array<{ name: string; value: number }> {
    const out: Array<{ name: string; value: number }> = [];
    for (const q of p.quantiles ?? []) {
      if (!finite(q.value) || !finite(q.quantile)) continue;
      out.push({ name: `${m.name}:p${Math.round(q.quantile * 100)}`, value: q.value });
    }
    return out;
  }

  private sum(m: DecodedMetric, p: DecodedDataPoint, tMs: number, instance: string): PointResult {
    if (!finite(p.value)) return { ok: false, reason: 'nonfinite' };
    // A non-monotonic cumulative sum (an up-down counter) is a level, not a count of events.
    if (!m.monotonic && m.temporality === TEMPORALITY.cumulative) return { ok: true, contribution: { type: 'gauge', name: m.name, value: p.value } };
    if (m.temporality !== TEMPORALITY.cumulative) return { ok: true, contribution: { type: 'increment', name: m.name, value: p.value } };
    const d = this.difference(seriesKey(m.name, p.attributes, instance), p, tMs, [p.value]);
    if (!d.ok) return d;
    return { ok: true, contribution: { type: 'increment', name: m.name, value: d.delta[0] as number } };
  }

  private histogram(m: DecodedMetric, p: DecodedDataPoint, tMs: number, instance: string): PointResult {
    const bounds = p.bounds ?? [];
    const counts = p.bucketCounts ?? [];
    if (counts.length !== bounds.length + 1 || bounds.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= (bounds[i - 1] as number)))) {
      return { ok: false, reason: 'bad_histogram' };
    }
    if (counts.some((c) => !Number.isFinite(c) || c < 0)) return { ok: false, reason: 'nonfinite' };
    if (m.temporality !== TEMPORALITY.cumulative) return { ok: true, contribution: { type: 'histogram', name: m.name, bounds, counts } };
    const d = this.difference(seriesKey(m.name, p.attributes, instance), p, tMs, counts);
    if (!d.ok) return d;
    return { ok: true, contribution: { type: 'histogram', name: m.name, bounds, counts: d.delta } };
  }

  /** Exponential histograms: only the mean of the new observations (`<name>:mean`) is used. */
  private meanOnly(m: DecodedMetric, p: DecodedDataPoint, tMs: number, instance: string): PointResult {
    if (!finite(p.count) || !finite(p.sum)) return { ok: false, reason: 'nonfinite' };
    let count = p.count;
    let sum = p.sum;
    if (m.temporality === TEMPORALITY.cumulative) {
      const d = this.difference(seriesKey(m.name, p.attributes, instance), p, tMs, [p.count, p.sum]);
      if (!d.ok) return d;
      [count, sum] = d.delta as [number, number];
    }
    if (count <= 0) return { ok: true, contribution: null };
    return { ok: true, contribution: { type: 'gauge', name: `${m.name}:mean`, value: sum / count } };
  }

  /**
   * The increase since the previous point of a cumulative series. A new
   * start time or a decrease is a reset: the whole value counts as new.
   * The first point of a series only primes the state.
   */
  private difference(key: string, p: DecodedDataPoint, tMs: number, v: number[]): { ok: true; delta: number[] } | { ok: false; reason: SkipReason } {
    const start = p.startUnixNano.toString();
    const before = this.prev.get(key);
    if (!before && this.prev.size >= this.maxSeries) return { ok: false, reason: 'series_limit' };
    if (before && tMs < before.t) return { ok: false, reason: 'first_cumulative' };
    this.prev.set(key, { start, t: tMs, v: [...v] });
    if (!before || before.v.length !== v.length) return { ok: false, reason: 'first_cumulative' };
    const reset = before.start !== start || v.some((x, i) => x < (before.v[i] as number));
    return { ok: true, delta: reset ? [...v] : v.map((x, i) => x - (before.v[i] as number)) };
  }

  /** Number of remembered series. */
  size(): number {
    return this.prev.size;
  }

  /** A copy of the state, safe to JSON-serialize. */
  toJSON(): MetricSeriesState {
    return structuredClone(Object.fromEntries(this.prev));
  }
}

/**
 * The q-quantile (0..1) of an explicit-bounds histogram, interpolating
 * linearly inside the bucket; the open-ended buckets use their finite bound.
 * NaN when the histogram is empty.
 */
export function histogramQuantile(bounds: readonly number[], counts: ArrayLike<number>, q: number): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i] as number;
  if (total <= 0) return Number.NaN;
  const target = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] as number;
    if (c > 0 && seen + c >= target) {
      if (bounds.length === 0) return Number.NaN;
      if (i === 0) return bounds[0] as number;
      if (i >= bounds.length) return bounds[bounds.length - 1] as number;
      const lo = bounds[i - 1] as number;
      const hi = bounds[i] as number;
      return lo + ((hi - lo) * (target - seen)) / c;
    }
    seen += c;
  }
  return bounds[bounds.length - 1] ?? Number.NaN;
}
