/**
 * Severity follows the deviation as its clients feel it, on the live scoring
 * path (ServiceModels without the neural model, 10 s windows, seeded noise):
 * failing requests counted against chance (a large failing share pages
 * however noisy the baseline; one failure of a few requests does not), and
 * runtime metrics that page only when sustained and beyond noise.
 */
import { describe, expect, it } from 'vitest';
import { createRng } from '../stats/index.ts';
import { windowSeverity } from './episode-step.ts';
import type { Evidence, FeatureVector, ServiceScore } from './outputs.ts';
import { scoreSeries, T0, W } from './series-fixture.ts';
import { newLive } from './service-state.ts';
import { CRITICAL_DEVIATION, errorRatioSeverity, quantileResolved, severityDeviation } from './severity.ts';
import { advanceShareRun, type ShareRun, shareRunZ } from './share-run.ts';
import { LATENCY_SUSTAIN_WINDOWS } from './sustained-latency.ts';
import { advanceMetricRuns, GAP_WINDOWS, isMemoryInUse, type MetricRun, type MetricRuns, SUSTAINED_WINDOWS, TREND_T, trendOf } from './sustained-metrics.ts';

const run = (n: number, features: (k: number, gauss: () => number) => FeatureVector, seed = 11): ServiceScore[] => scoreSeries(n, features, seed);

/** Severities of the windows `from` (inclusive) to `to` (exclusive) that belong to an episode. */
const severities = (rs: readonly ServiceScore[], from: number, to: number): string[] =>
  rs.slice(from, to).flatMap((r) => (r.transition === 'none' ? [] : [r.severity]));

/** Binomial failures of `n` requests at ratio `p`, drawn with `u` uniform numbers. */
function failures(n: number, p: number, u: () => number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (u() < p) k++;
  return k;
}

describe('failing requests are counted against chance', () => {
  it('a failing share far above a noisy baseline pages (it scored 4 spreads, info, before the counts were read)', () => {
    // 3 requests/s (30 a window) whose error ratio was learned noisy: 10 % on average, from 3 % to 30 % window to
    // window (a warm-up on a loaded host where timeouts came and went). Then a bad deploy fails 60 %.
    const u = createRng(3);
    const ratio = (k: number): number => (k % 7 === 0 ? 0.3 : k % 3 === 0 ? 0.1 : 0.03);
    const rs = run(460, (k, g) => ({
      request_rate: 3,
      error_ratio: k >= 400 ? failures(30, 0.6, () => u.next()) / 30 : ratio(k),
      latency_p50_ms: 40 + 2 * g(),
    }));
    // The fault opens an episode at once, but its first window is under 5 spreads of this noisy history.
    const first = rs[400] as ServiceScore;
    expect(first.transition).toBe('open');
    expect(first.evidence[0]?.feature).toBe('error_ratio');
    expect(first.evidence[0]?.deviation).toBeLessThan(5);
    // 18 of 30 failing where 3 are expected: 8.8 binomial deviations, 10 spreads of at most 5 points.
    expect(first.severity).toBe('critical');
    // Every window of the fault whose errors deviate pages.
    const failing = rs.slice(400).filter((r) => r.evidence.some((e) => e.feature === 'error_ratio'));
    expect(failing.length).toBeGreaterThan(40);
    expect(failing.every((r) => r.severity !== 'info')).toBe(true);
  });

  it('one failed request of nine is no anomaly (5.5 spreads of a service that never fails: it raised warning, then an info episode)', () => {
    const rs = run(400, (k, g) => ({ request_rate: 0.9, error_ratio: k === 350 ? 1 / 9 : 0, latency_p50_ms: 40 + 2 * g() }));
    const w = rs[350] as ServiceScore;
    // 1 of 9 is within the binomial noise of 9 requests: the scorer's deviation of the error ratio counts it beside the
    // spread, (1/9 - 0.5/9) / sqrt(0.02^2 + 0.0196 / 9) = 1.1, so it is no evidence and opens nothing.
    expect(w.transition).toBe('none');
    expect(w.evidence.find((e) => e.feature === 'error_ratio')).toBeUndefined();
    expect(w.severity).toBe('info');
    // Three of nine are beyond it (5.5): evidence, an episode, still not critical.
    const three = run(400, (k, g) => ({ request_rate: 0.9, error_ratio: k === 350 ? 3 / 9 : 0, latency_p50_ms: 40 + 2 * g() }))[350] as ServiceScore;
    expect(three.transition).toBe('open');
    expect(three.evidence.find((e) => e.feature === 'error_ratio')?.deviation).toBeCloseTo(5.47, 1);
    expect(three.severity).not.toBe('critical');
  });

  it('a handful failing of a few requests in a row adds up until the count is beyond chance', () => {
    const e: Evidence = { feature: 'error_ratio', observed: 3 / 9, expected: 0, deviation: 16 };
    const run = advanceShareRun(undefined, e.observed, e.expected, 9) as ShareRun;
    const first = { z: shareRunZ(run) };
    // 3 of 9 against 2 %: (3 - 0.18 - 0.5) / 0.42 = 5.5 binomial deviations.
    expect(first.z).toBeCloseTo(5.52, 1);
    const second = { z: shareRunZ(advanceShareRun(run, e.observed, e.expected, 9)) };
    expect(second.z).toBeGreaterThan(first.z);
    // Never more than the failures' distance from chance, nor than the spread deviation with its spread at most 5
    // points (here 16 spreads of 2 points).
    expect(errorRatioSeverity(e, first.z)).toBeCloseTo(first.z, 6);
    expect(errorRatioSeverity(e, 100)).toBe(16);
    // A wide spread counts as 5 points: 33 points over 0 is 6.7.
    expect(errorRatioSeverity({ ...e, deviation: 2.2 }, 100)).toBeCloseTo(6.67, 1);
    // Without a count, the spread deviation stands.
    expect(errorRatioSeverity(e, Number.NaN)).toBe(16);
    // Other symptoms are read as before; runtime metrics of a service with symptoms are left out.
    const latency: Evidence = { feature: 'latency_p50_ms', observed: 90, expected: 40, deviation: 7 };
    const heap: Evidence = { feature: 'metric:v8js.memory.heap.used', observed: 9e8, expected: 4e7, deviation: 90 };
    expect(severityDeviation([e, latency, heap], true, 1)).toBe(7);
    expect(severityDeviation([heap], false)).toBe(90);
  });
});

describe('severity counts the failures of the share run (share-run.ts), not a run of its own', () => {
  it('a window whose error ratio is no evidence inside the run does not restart the count (it fell back from critical to warning)', () => {
    const st = newLive({}).st;
    // 10 requests a window, 3 failing against 1 %: 5.2 binomial deviations alone, 8.1 over two windows.
    const w = (k: number, failed: number) => ({
      service: 'svc',
      startMs: T0 + (k - 1) * W,
      endMs: T0 + k * W,
      features: { request_rate: 10 / (W / 1000), error_ratio: failed / 10 },
      callees: [],
    });
    const errors = (failed: number): Evidence[] => [{ feature: 'error_ratio', observed: failed / 10, expected: 0.01, deviation: 12 }];
    const sev = (k: number, failed: number, evidence: Evidence[]) => {
      st.shareRun = advanceShareRun(st.shareRun, failed / 10, 0.01, 10);
      return windowSeverity(w(k, failed), st, evidence, true, false, true);
    };
    expect(sev(1, 3, errors(3))).toBe('warning');
    expect(sev(2, 3, errors(3))).toBe('critical');
    // 2 of 10: still above expectation (the run goes on), but not evidence in this window.
    expect(sev(3, 2, [])).toBe('info');
    expect(sev(4, 3, errors(3))).toBe('critical');
  });
});

/** A healthy service with symptoms and runtime metrics: 5 requests/s, p50 of 40 ms, heap of 40 MB, event-loop utilization 0.07. */
function healthy(g: () => number): FeatureVector {
  return {
    request_rate: 5 + 0.2 * g(),
    error_ratio: 0,
    latency_p50_ms: 40 + 2 * g(),
    'metric:v8js.memory.heap.used': 40e6 + 2e6 * g(),
    'metric:nodejs.eventloop.utilization': Math.max(0, 0.07 + 0.01 * g()),
  };
}

describe('runtime metrics page when sustained and beyond noise', () => {
  it('a runtime metric growing window after window becomes warning within a minute and a half of its start (info before it is sustained)', () => {
    // Connections a pool holds, leaked two a window (not memory: that pages sooner, below).
    const used = 'metric:db.client.connection.count';
    const rs = run(440, (k, g) => ({ ...healthy(g), [used]: 4 + 0.5 * g() + (k >= 400 ? (k - 399) * 2 : 0) }));
    expect(rs[402]?.evidence.some((e) => e.feature === used && e.deviation >= 8)).toBe(true);
    expect(severities(rs, 400, 400 + SUSTAINED_WINDOWS - 1).every((s) => s === 'info')).toBe(true);
    const first = rs.slice(400).findIndex((r) => r.severity === 'warning');
    expect(first).toBeGreaterThanOrEqual(SUSTAINED_WINDOWS - 1);
    expect(first).toBeLessThanOrEqual(SUSTAINED_WINDOWS + 2);
  });

  it('a leak that kills its process every few windows (the heap climbs, then starts low again) becomes warning', () => {
    // As on the demo: a 30 s cycle of 5 s windows, the heap far above its baseline and climbing in two of them.
    const leak = (k: number): number => (k < 400 ? 0 : ([80e6, 160e6, 0, 0, 0, 0][(k - 400) % 6] as number));
    const rs = run(460, (k, g) => ({ ...healthy(g), 'metric:v8js.memory.heap.used': 40e6 + 2e6 * g() + leak(k) }));
    expect(severities(rs, 400, 460)).toContain('warning');
  });

  it('an event loop saturated while requests slow down becomes warning; saturated with requests as usual stays info', () => {
    const hog = (slow: boolean) => (k: number, g: () => number) => {
      const f = healthy(g);
      if (k < 400) return f;
      return { ...f, 'metric:nodejs.eventloop.utilization': 0.88 + 0.01 * g(), latency_p50_ms: slow ? 55 + 2 * g() : (f.latency_p50_ms as number) };
    };
    const slowed = run(430, hog(true));
    expect(severities(slowed, 400, 430)).toContain('warning');
    expect(severities(run(430, hog(false)), 400, 430).every((s) => s === 'info')).toBe(true);
  });

  it('one noisy runtime metric (an event-loop delay far above its baseline that jumps up and down, as on a busy host) never pages', () => {
    const delay = 'metric:nodejs.eventloop.delay.p99';
    const rs = run(600, (k, g) => ({ ...healthy(g), [delay]: 12 + 0.5 * g() + (k >= 400 ? 25 + (k % 3) * 8 : 0) }));
    expect(rs.slice(400, 600).some((r) => r.evidence.some((e) => e.feature === delay && e.deviation >= 8))).toBe(true);
    expect(severities(rs, 400, 600).every((s) => s === 'info')).toBe(true);
  });

  it('memory in use held far above its baseline pages at its second window, flat or jumping (the demo leak was info for good)', () => {
    // As on the demo: a process leaking 8 MB/s lives about 20 s and reports its heap once (10 s windows, 10 s
    // export): about the same height each time, no report while it is dead and starting again. No trend, no climb.
    const leak = [60e6, 80e6, undefined, 75e6, undefined, 78e6, 70e6, undefined, 80e6, undefined, 76e6, undefined];
    const heap = 'metric:v8js.memory.heap.used';
    const rs = run(412, (k, g) => {
      const f = healthy(g);
      const v = k >= 400 ? leak[k - 400] : 0;
      if (v === undefined) delete f[heap];
      else f[heap] = (f[heap] as number) + v;
      return f;
    });
    expect(rs[400]?.transition).toBe('open');
    expect(rs[400]?.severity).toBe('info');
    expect(rs[400]?.evidence[0]?.deviation).toBeGreaterThanOrEqual(CRITICAL_DEVIATION);
    expect(rs[401]?.severity).toBe('warning');
    expect(severities(rs, 402, 412).filter((s) => s === 'info').length).toBeLessThan(severities(rs, 402, 412).length);
    // The same heap far above, in a GC sawtooth that falls back by 60 MB every third window: memory the process holds.
    const saw = run(420, (k, g) => ({ ...healthy(g), [heap]: 40e6 + 2e6 * g() + (k >= 400 ? 100e6 + (k % 3) * 30e6 : 0) }));
    expect(saw[401]?.severity).toBe('warning');
  });

  it('names memory in use as the semantic conventions do, not its limit, free or virtual size', () => {
    const names = ['v8js.memory.heap.used', 'jvm.memory.used', 'process.memory.usage', 'container.memory.usage'];
    expect(names.map((n) => isMemoryInUse(`metric:${n}`))).toEqual([true, true, true, true]);
    const not = ['v8js.memory.heap.limit', 'v8js.memory.heap.space.available_size', 'process.memory.virtual', 'nodejs.eventloop.utilization'];
    expect(not.map((n) => isMemoryInUse(`metric:${n}`))).toEqual([false, false, false, false]);
    expect(isMemoryInUse('v8js.memory.heap.used')).toBe(false);
  });

  it('the trend of a run: a steady rise has a large t statistic, a sawtooth none', () => {
    const trendOfValues = (xs: number[]) => {
      let runs: MetricRuns | undefined;
      for (const x of xs) runs = advanceMetricRuns(runs, [{ feature: 'metric:m', observed: 100 + x, expected: 0, deviation: 10 }]).runs;
      return trendOf(runs?.['metric:m'] as MetricRun);
    };
    const rise = trendOfValues([0, 20, 41, 59, 80, 101]);
    expect(rise.slope).toBeCloseTo(2, 1);
    expect(rise.t).toBeGreaterThan(TREND_T);
    expect(Math.abs(trendOfValues([0, 30, 60, 0, 30, 60, 0, 30]).t)).toBeLessThan(1);
  });

  it('a sustained metric pages only inside an open episode: the window that closes it is info', () => {
    const st = newLive({}).st;
    const w = (k: number) => ({ service: 'svc', startMs: T0 + (k - 1) * W, endMs: T0 + k * W, features: { request_rate: 5 }, callees: [] });
    const heap = (k: number): Evidence[] => [{ feature: 'metric:heap', observed: 100 + 20 * k, expected: 10, deviation: 9 + 2 * k }];
    const sev = (k: number, inEpisode: boolean) => windowSeverity(w(k), st, heap(k), true, false, inEpisode);
    for (let k = 0; k < SUSTAINED_WINDOWS - 1; k++) expect(sev(k, true)).toBe('info');
    expect(sev(SUSTAINED_WINDOWS - 1, true)).toBe('warning');
    expect(sev(SUSTAINED_WINDOWS, false)).toBe('info');
    // The run goes on: a new episode that opens on it pages at once.
    expect(sev(SUSTAINED_WINDOWS + 1, true)).toBe('warning');
  });

  it('a run ends when its metric stays under the warning deviation for more than GAP_WINDOWS windows', () => {
    const high: Evidence = { feature: 'metric:heap', observed: 100, expected: 10, deviation: 9 };
    let runs = advanceMetricRuns(undefined, [high]).runs;
    expect(runs?.['metric:heap']?.[0]).toBe(1);
    for (let k = 0; k < GAP_WINDOWS; k++) runs = advanceMetricRuns(runs, [{ ...high, deviation: 4 }]).runs;
    expect(runs?.['metric:heap']?.[0]).toBe(1);
    runs = advanceMetricRuns(runs, [{ ...high, deviation: 4 }]).runs;
    expect(runs).toBeUndefined();
  });
});

describe('a latency quantile counts for severity only when the window has the requests to resolve it', () => {
  it("does not page on a p99 that is the window's one slowest request; pages on the same p99 from enough requests", () => {
    // payment in the bench, fault-free on a busy host: 3 requests in a window, its p99 (the slowest one) 512 ms against
    // 265 ms expected, 9 spreads: `critical`. Its p50 is as usual.
    const p99: Evidence = { feature: 'latency_p99_ms', observed: 512, expected: 265, deviation: 9 };
    const p50: Evidence = { feature: 'latency_p50_ms', observed: 30, expected: 28, deviation: 0.5 };
    expect(severityDeviation([p99, p50], true, Number.NaN, 3)).toBe(0.5);
    expect(severityDeviation([p99, p50], true, Number.NaN, 100)).toBe(9);
    // Unknown counts judge every quantile (as before).
    expect(severityDeviation([p99, p50], true)).toBe(9);
    expect([quantileResolved('latency_p95_ms', 19), quantileResolved('latency_p95_ms', 20), quantileResolved('latency_p50_ms', 2)]).toEqual([
      false,
      true,
      true,
    ]);
    expect(quantileResolved('error_ratio', 1)).toBe(true);
  });

  it('keeps slow windows of a service with few requests `info` on its live scoring path unless its median slows', () => {
    // A leaf with 0.3 requests/s (3 per 10 s window): p99 usually 60 ms; for three windows (30 s: long enough for
    // latency to count, see sustained-latency.ts) each window's slowest request takes 400 ms.
    const slow = (k: number) => k >= 70 && k < 70 + LATENCY_SUSTAIN_WINDOWS;
    const leaf = (slowTail: boolean, slowMedian: boolean) =>
      run(80, (k, g) => ({
        request_rate: 0.3,
        error_ratio: 0,
        latency_p50_ms: (slow(k) && slowMedian ? 400 : 40) + g(),
        latency_p95_ms: (slow(k) && slowTail ? 400 : 60) + 2 * g(),
        latency_p99_ms: (slow(k) && slowTail ? 400 : 60) + 2 * g(),
      }));
    const tail = leaf(true, false);
    expect(tail[70]?.transition).toBe('open');
    expect(severities(tail, 70, 70 + LATENCY_SUSTAIN_WINDOWS).every((s) => s === 'info')).toBe(true);
    expect(leaf(true, true)[70 + LATENCY_SUSTAIN_WINDOWS - 1]?.severity).toBe('critical');
  });
});
