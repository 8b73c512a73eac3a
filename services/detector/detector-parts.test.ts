import { describe, expect, it } from 'vitest';
import { BaselineScorer, DEFAULT_BASELINE, deviationToScore } from './baseline-scorer.ts';
import { DEFAULT_EPISODE, newEpisodeState, stepEpisode } from './episode-tracker.ts';
import { ServiceModels } from './service-models.ts';
import { ServiceWindows } from './service-windows.ts';
import { WindowAccumulator } from './window-features.ts';

describe('WindowAccumulator', () => {
  it('computes rate, error ratio and latency quantiles within bucket precision', () => {
    const w = new WindowAccumulator('svc', 0, 10_000);
    for (let i = 1; i <= 100; i++) w.addRequest(i, i % 10 === 0);
    const f = w.features();
    expect(f.request_rate).toBeCloseTo(10, 6);
    expect(f.error_ratio).toBeCloseTo(0.1, 6);
    // log buckets are 2^(1/4) apart: a quantile is within 19% above the true value
    expect(f.latency_p50_ms).toBeGreaterThanOrEqual(50);
    expect(f.latency_p50_ms).toBeLessThan(50 * 1.19);
    expect(f.latency_p99_ms).toBeGreaterThanOrEqual(99);
    expect(f.latency_p99_ms).toBeLessThan(99 * 1.19);
  });

  it('counts logs by severity and averages metrics', () => {
    const w = new WindowAccumulator('svc', 0, 2_000);
    w.addLog('error');
    w.addLog('error');
    w.addMetric('cpu', 0.5);
    w.addMetric('cpu', 0.7);
    const f = w.features();
    expect(f.log_error_rate).toBe(1);
    expect(f['metric:cpu']).toBeCloseTo(0.6);
  });
});

describe('ServiceWindows', () => {
  it('closes a window once the event-time watermark passes its end, and drops late data', () => {
    let wall = 1_000_000;
    const ws = new ServiceWindows(1000, 200, () => wall);
    ws.windowFor('a', wall)!.addRequest(1, false);
    expect(ws.closeDue()).toHaveLength(0);
    ws.windowFor('a', wall + 1100)!.addRequest(1, false);
    expect(ws.closeDue()).toHaveLength(0); // watermark = +900 < end 1001000
    ws.windowFor('a', wall + 1250)!.addRequest(1, false);
    const closed = ws.closeDue();
    expect(closed.map((w) => w.startMs)).toEqual([1_000_000]);
    expect(ws.windowFor('a', wall + 10)).toBeUndefined();
    expect(ws.late).toBe(1);
    wall += 5000; // idle: everything closes
    expect(ws.closeDue().map((w) => w.startMs)).toEqual([1_001_000]);
  });

  it('rejects absurd timestamps without creating windows', () => {
    const ws = new ServiceWindows(1000, 0, () => 1_700_000_000_000);
    expect(ws.windowFor('a', Number.NaN)).toBeUndefined();
    expect(ws.windowFor('a', 0)).toBeUndefined();
    expect(ws.openCount()).toBe(0);
    expect(ws.late).toBe(2);
  });
});

describe('BaselineScorer', () => {
  it('scores a steady series low and an error burst high, with evidence', () => {
    const s = new BaselineScorer();
    for (let i = 0; i < 20; i++) expect(s.update({ error_ratio: 0.01, request_rate: 50 + (i % 3) }).score).toBeLessThan(0.5);
    const r = s.update({ error_ratio: 0.6, request_rate: 51 });
    expect(r.score).toBeGreaterThan(0.9);
    expect(r.evidence[0]?.feature).toBe('error_ratio');
    expect(r.evidence[0]?.observed).toBe(0.6);
  });

  it('ignores non-finite values', () => {
    const s = new BaselineScorer();
    for (let i = 0; i < 10; i++) s.update({ latency_p99_ms: 100 });
    const before = s.snapshot();
    expect(s.update({ latency_p99_ms: Number.NaN }).score).toBe(0);
    expect(s.snapshot()).toEqual(before);
  });

  it('maps deviations monotonically into [0, 1]', () => {
    expect(deviationToScore(DEFAULT_BASELINE.z50, DEFAULT_BASELINE.z50)).toBeCloseTo(0.5);
    expect(deviationToScore(-5, 3)).toBe(0);
    expect(deviationToScore(100, 3)).toBeLessThanOrEqual(1);
    expect(deviationToScore(6, 3)).toBeGreaterThan(deviationToScore(4, 3));
  });
});

describe('episodes', () => {
  it('opens, stays open through one dip (hysteresis), closes after two low windows', () => {
    const s = newEpisodeState();
    const seq = [0.1, 0.9, 0.4, 0.8, 0.3, 0.2, 0.1].map((x, i) => stepEpisode(s, DEFAULT_EPISODE, 'svc', x, i * 1000).transition);
    expect(seq).toEqual(['none', 'open', 'ongoing', 'ongoing', 'ongoing', 'closed', 'none']);
  });

  it('flags flapping after repeated opens', () => {
    const s = newEpisodeState();
    let flapping = false;
    for (let i = 0; i < 12; i++) flapping = stepEpisode(s, DEFAULT_EPISODE, 'svc', i % 4 === 0 ? 0.95 : 0.1, i * 1000).flapping;
    expect(flapping).toBe(true);
  });
});

describe('ServiceModels checkpoint', () => {
  it('restoring a snapshot gives identical subsequent scores', () => {
    const a = new ServiceModels();
    a.notePartition('svc', 3);
    for (let i = 0; i < 15; i++) a.score('svc', { error_ratio: 0.01 * (i % 2), latency_p99_ms: 100 + i }, i * 1000, []);
    const b = new ServiceModels();
    b.restore(a.snapshot(new Set([3])));
    for (let i = 15; i < 25; i++) {
      const f = { error_ratio: i === 20 ? 0.5 : 0.01, latency_p99_ms: 100 + i };
      expect(b.score('svc', f, i * 1000, [])).toEqual(a.score('svc', f, i * 1000, []));
    }
    expect(a.snapshot(new Set([4]))).toEqual({});
  });
});
