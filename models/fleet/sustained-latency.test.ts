/**
 * The severity of latency follows its duration (sustained-latency.ts), on the
 * live scoring path (ServiceModels without the neural model, 10 s windows,
 * seeded noise): a service that slows alone for a window or two, as one does
 * on a busy host, is detected (its episode opens) but does not page; a
 * latency fault pages once it has lasted 30 s; failing requests page at once.
 */
import { describe, expect, it } from 'vitest';
import type { Evidence, FeatureVector, ServiceScore } from './outputs.ts';
import { scoreSeries } from './series-fixture.ts';
import { advanceLatencyRun, LATENCY_GAP_MS, LATENCY_SUSTAIN_MS, LATENCY_SUSTAIN_WINDOWS, type LatencyRun } from './sustained-latency.ts';

/** catalog in the demo: 18 requests/s, p50 of 40 ms, p95 of 90 ms, no errors; `slow(k)` ms added to window k's quantiles. */
const catalog =
  (slow: (k: number) => number, errors: (k: number) => number = () => 0) =>
  (k: number, g: () => number): FeatureVector => ({
    request_rate: 18 + 0.5 * g(),
    error_ratio: errors(k),
    latency_p50_ms: 40 + 2 * g() + slow(k),
    latency_p95_ms: 90 + 4 * g() + slow(k),
  });

const windowsOf = (rs: readonly ServiceScore[], from: number, to: number) => rs.slice(from, to);

describe('a latency deviation pages only once it has lasted', () => {
  it('a service that slows alone for two windows (p95 +150 ms) opens an episode but stays info', () => {
    const rs = scoreSeries(
      420,
      catalog((k) => (k === 400 || k === 401 ? 150 : 0)),
      5,
    );
    const blip = windowsOf(rs, 400, 402);
    expect(blip[0]?.transition).toBe('open');
    // Far beyond the baseline: without the duration rule these windows paged.
    expect(blip.every((r) => r.evidence.some((e) => e.feature.startsWith('latency_') && e.deviation >= 8))).toBe(true);
    expect(blip.map((r) => r.severity)).toEqual(['info', 'info']);
    // Nothing after it pages either.
    expect(windowsOf(rs, 402, 420).every((r) => r.severity === 'info')).toBe(true);
  });

  it('an injected delay (+400 ms) is detected in its first window and pages from its third (30 s) for as long as it lasts', () => {
    const rs = scoreSeries(
      440,
      catalog((k) => (k >= 400 ? 400 : 0)),
      5,
    );
    expect(rs[400]?.transition).toBe('open');
    const sev = windowsOf(rs, 400, 440).map((r) => r.severity);
    expect(sev.slice(0, LATENCY_SUSTAIN_WINDOWS - 1)).toEqual(['info', 'info']);
    expect(sev.slice(LATENCY_SUSTAIN_WINDOWS - 1).every((s) => s === 'critical')).toBe(true);
  });

  it('failing requests page at once, however short their slowness', () => {
    const rs = scoreSeries(
      420,
      catalog(
        (k) => (k >= 400 ? 200 : 0),
        (k) => (k >= 400 ? 0.6 : 0),
      ),
      5,
    );
    expect(rs[400]?.transition).toBe('open');
    expect(rs[400]?.severity).toBe('critical');
  });
});

describe('the run of slow windows', () => {
  const slow: Evidence[] = [{ feature: 'latency_p95_ms', observed: 300, expected: 90, deviation: 20 }];
  const normal: Evidence[] = [];
  /** Feeds windows of `len` ms from 0, `kinds` saying each one's kind: s slow, n normal, 0 no requests; returns the last verdict. */
  const feed = (kinds: string, len: number) => {
    let run: LatencyRun | undefined;
    let sustained = false;
    let k = 0;
    for (const c of kinds) {
      const r = advanceLatencyRun(run, k * len, (k + 1) * len, c === 's' ? slow : normal, c === '0' ? 0 : 100);
      run = r.run;
      sustained = r.sustained;
      k++;
    }
    return { run, sustained };
  };

  it('is sustained after 30 s in at least three slow windows, whatever the window length', () => {
    expect(LATENCY_SUSTAIN_MS).toBe(30_000);
    expect(feed('ss', 10_000).sustained).toBe(false);
    expect(feed('sss', 10_000).sustained).toBe(true);
    // 2 s windows: ten slow windows are 20 s of a busy host, not yet a fault.
    expect(feed('s'.repeat(10), 2_000).sustained).toBe(false);
    expect(feed('s'.repeat(15), 2_000).sustained).toBe(true);
  });

  it('goes on through windows without requests and one normal window; a longer normal stretch ends it', () => {
    expect(LATENCY_GAP_MS).toBe(10_000);
    expect(feed('s00ss', 10_000).sustained).toBe(true);
    expect(feed('snss', 10_000).sustained).toBe(true);
    expect(feed('snn', 10_000).run).toBeUndefined();
    expect(feed('snnss', 10_000).sustained).toBe(false);
  });

  it('ignores a slow quantile the window has too few requests to resolve (a p95 of 5 requests)', () => {
    const r = advanceLatencyRun(undefined, 0, 10_000, slow, 5);
    expect(r.run).toBeUndefined();
  });
});
