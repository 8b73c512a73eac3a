import { describe, expect, it } from 'vitest';
import { encodeResource } from '../otlp/index.ts';
import { CallGraph } from './call-graph.ts';
import { type IngestCounts, ingestLogs, ingestMetrics, ingestSpans } from './ingest.ts';
import { histogramQuantile } from './metric-series.ts';
import { ServiceWindows } from './service-windows.ts';

const NOW = Date.UTC(2026, 0, 5, 12);
const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);
const resource = (service?: string) => ({ attributes: service ? [{ key: 'service.name', value: { stringValue: service } }] : [] });

function metrics(service: string | undefined, ms: unknown[]): Uint8Array {
  return encodeResource('metrics', { resource: resource(service), scopeMetrics: [{ scope: { name: 't' }, metrics: ms }] });
}
const CUMULATIVE = 2;
const DELTA = 1;

function counter(name: string, points: Array<[number, number]>, temporality = CUMULATIVE, start = NOW - 3_600_000) {
  return {
    name,
    sum: {
      aggregationTemporality: temporality,
      isMonotonic: true,
      dataPoints: points.map(([t, v]) => ({ startTimeUnixNano: ns(start), timeUnixNano: ns(t), asDouble: v })),
    },
  };
}

function setup() {
  const windows = new ServiceWindows(10_000, 0, () => NOW);
  const counts: IngestCounts = new Map();
  const features = () => windows.closeAll().map((w) => ({ start: w.startMs - NOW, f: w.features() }));
  return { windows, counts, features };
}

describe('metric features', () => {
  it("reports a runtime counter of several replicas per instance (comparable after a scale-out), a demand counter as the service's total", () => {
    const { windows, counts, features } = setup();
    const replica = (id: string) => ({
      attributes: [
        { key: 'service.name', value: { stringValue: 'db' } },
        { key: 'service.instance.id', value: { stringValue: id } },
      ],
    });
    // Three replicas, each with an event loop that runs 1 s per second and 2 requests per second (primed at NOW).
    for (const id of ['a', 'b', 'c']) {
      const body = encodeResource('metrics', {
        resource: replica(id),
        scopeMetrics: [
          {
            scope: { name: 't' },
            metrics: [
              counter('nodejs.eventloop.time', [
                [NOW, 100],
                [NOW + 5_000, 110],
              ]),
              counter('http.requests', [
                [NOW, 100],
                [NOW + 5_000, 120],
              ]),
            ],
          },
        ],
      });
      ingestMetrics(body, windows, counts);
    }
    const f = features()[0]?.f ?? {};
    expect(f['metric:nodejs.eventloop.time:rate']).toBe(1);
    expect(f['metric:http.requests:rate']).toBe(6);
  });

  it('turns a cumulative counter into a per-second rate of each window, surviving a reset', () => {
    const { windows, counts, features } = setup();
    // 100 at t=0 primes the series; +50 in window 0, +200 in window 1; then the process restarts (new start time).
    ingestMetrics(
      metrics('api', [
        counter('http.requests', [
          [NOW, 100],
          [NOW + 5_000, 150],
          [NOW + 15_000, 350],
        ]),
      ]),
      windows,
      counts,
    );
    ingestMetrics(metrics('api', [counter('http.requests', [[NOW + 25_000, 30]], CUMULATIVE, NOW + 21_000)]), windows, counts);
    const f = features();
    expect(f.map((w) => [w.start, w.f['metric:http.requests:rate']])).toEqual([
      [0, 5],
      [10_000, 20],
      [20_000, 3],
    ]);
    expect(counts.get('first_cumulative')).toBe(1);
  });

  it('sums delta counters per window and keeps up-down counters as levels', () => {
    const { windows, counts, features } = setup();
    const upDown = {
      name: 'queue.depth',
      sum: { aggregationTemporality: CUMULATIVE, isMonotonic: false, dataPoints: [{ timeUnixNano: ns(NOW + 1000), asInt: '7' }] },
    };
    ingestMetrics(
      metrics('api', [
        counter(
          'bytes',
          [
            [NOW + 1000, 40],
            [NOW + 2000, 60],
          ],
          DELTA,
        ),
        upDown,
      ]),
      windows,
      counts,
    );
    const [w] = features();
    expect(w?.f['metric:bytes:rate']).toBe(10);
    expect(w?.f['metric:queue.depth']).toBe(7);
  });

  it('turns cumulative histograms into quantiles of the window', () => {
    const { windows, counts, features } = setup();
    const hist = (t: number, c: number[]) => ({
      startTimeUnixNano: ns(NOW - 60_000),
      timeUnixNano: ns(t),
      count: String(c.reduce((a, b) => a + b)),
      explicitBounds: [10, 20, 40],
      bucketCounts: c.map(String),
    });
    const m = {
      name: 'rpc.duration',
      histogram: { aggregationTemporality: CUMULATIVE, dataPoints: [hist(NOW, [5, 5, 0, 0]), hist(NOW + 5000, [5, 5, 100, 0])] },
    };
    ingestMetrics(metrics('api', [m]), windows, counts);
    const [w] = features();
    // the window saw 100 new observations, all in (20, 40]
    expect(w?.f['metric:rpc.duration:p50']).toBeCloseTo(30, 6);
    expect(w?.f['metric:rpc.duration:p99']).toBeCloseTo(39.8, 6);
    expect(histogramQuantile([10, 20], [0, 0, 0], 0.5)).toBeNaN();
  });

  it('reports summaries as one gauge per quantile and gauges as means', () => {
    const { windows, counts, features } = setup();
    const summary = { name: 'gc.pause', summary: { dataPoints: [{ timeUnixNano: ns(NOW + 1), quantileValues: [{ quantile: 0.99, value: 12 }] }] } };
    const gauge = {
      name: 'cpu',
      gauge: {
        dataPoints: [
          { timeUnixNano: ns(NOW + 1), asDouble: 0.5 },
          { timeUnixNano: ns(NOW + 2), asDouble: 0.7 },
        ],
      },
    };
    ingestMetrics(metrics('api', [summary, gauge]), windows, counts);
    const [w] = features();
    expect(w?.f['metric:gc.pause:p99']).toBe(12);
    expect(w?.f['metric:cpu']).toBeCloseTo(0.6, 9);
  });
});

describe('bad telemetry is counted and skipped without touching any state', () => {
  it('skips a resource without service.name, absurd times, non-finite values and broken histograms', () => {
    const { windows, counts, features } = setup();
    const good = { name: 'cpu', gauge: { dataPoints: [{ timeUnixNano: ns(NOW + 1), asDouble: 0.5 }] } };
    expect(ingestMetrics(metrics(undefined, [good]), windows, counts)).toBeUndefined();
    expect(windows.openCount()).toBe(0);
    const bad = [
      {
        name: 'cpu',
        gauge: {
          dataPoints: [
            { timeUnixNano: ns(NOW + 2), asDouble: Number.NaN },
            { timeUnixNano: ns(NOW + 3), asDouble: Number.POSITIVE_INFINITY },
          ],
        },
      },
      {
        name: 'cpu',
        gauge: {
          dataPoints: [
            { timeUnixNano: ns(NOW + 400 * 86_400_000), asDouble: 99 },
            { timeUnixNano: '0', asDouble: 99 },
          ],
        },
      },
      {
        name: 'h',
        histogram: { aggregationTemporality: DELTA, dataPoints: [{ timeUnixNano: ns(NOW + 1), explicitBounds: [5, 1], bucketCounts: ['1', '1', '1'] }] },
      },
      counter('c', [[NOW + 1, Number.NaN]], DELTA),
    ];
    expect(ingestMetrics(metrics('api', [good, ...bad]), windows, counts)).toBe('api');
    expect(Object.fromEntries(counts)).toEqual({ no_service: 1, nonfinite: 3, absurd_time: 2, bad_histogram: 1 });
    const [w] = features();
    expect(w?.f).toMatchObject({ 'metric:cpu': 0.5 });
    expect(Object.keys(w?.f ?? {}).filter((k) => k.startsWith('metric:'))).toEqual(['metric:cpu']);
  });

  it('skips spans with impossible durations or times and logs without a service', () => {
    const { windows, counts, features } = setup();
    const span = (start: number, end: number, kind = 2) => ({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      name: 'GET',
      kind,
      startTimeUnixNano: ns(start),
      endTimeUnixNano: ns(end),
    });
    const spans = encodeResource('traces', {
      resource: resource('api'),
      scopeSpans: [
        { spans: [span(NOW, NOW + 20), span(NOW + 50, NOW + 10), span(NOW - 900 * 86_400_000, NOW - 899 * 86_400_000), span(NOW, NOW + 3 * 86_400_000)] },
      ],
    });
    ingestSpans(spans, windows, counts, new CallGraph());
    const logs = encodeResource('logs', { resource: resource(), scopeLogs: [{ logRecords: [{ timeUnixNano: ns(NOW), severityNumber: 17 }] }] });
    expect(ingestLogs(logs, windows, counts)).toBeUndefined();
    const okLogs = encodeResource('logs', {
      resource: resource('api'),
      scopeLogs: [
        { logRecords: [{ timeUnixNano: ns(NOW + 1), severityNumber: 17 }, { observedTimeUnixNano: ns(NOW + 2), severityNumber: 9 }, { severityNumber: 21 }] },
      ],
    });
    ingestLogs(okLogs, windows, counts);
    expect(Object.fromEntries(counts)).toEqual({ bad_duration: 2, absurd_time: 2, no_service: 1 });
    const [w] = features();
    expect(w?.f).toMatchObject({ request_rate: 0.1, error_ratio: 0, log_error_rate: 0.1, log_info_rate: 0.1 });
    expect(w?.f.log_fatal_rate).toBeUndefined();
  });

  it('counts late data after its window closed', () => {
    let wall = NOW;
    const windows = new ServiceWindows(10_000, 0, () => wall);
    const counts: IngestCounts = new Map();
    const logs = (t: number) =>
      encodeResource('logs', { resource: resource('api'), scopeLogs: [{ logRecords: [{ timeUnixNano: ns(t), severityNumber: 9 }] }] });
    ingestLogs(logs(NOW), windows, counts);
    wall += 60_000;
    expect(windows.closeDue()).toHaveLength(1);
    ingestLogs(logs(NOW + 1), windows, counts);
    expect(counts.get('late')).toBe(1);
    expect(windows.openCount()).toBe(0);
  });
});
