import { describe, expect, it } from 'vitest';
import {
  bandsRecord,
  DEFAULT_SEASONAL_SCORER,
  deviationToScore,
  SeasonalScorer,
  ServiceModels,
  type ServiceScore,
  type WindowInput,
} from '../../models/fleet/index.ts';
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
    expect(ws.absurd).toBe(0);
    wall += 5000; // idle: everything closes
    expect(ws.closeDue().map((w) => w.startMs)).toEqual([1_001_000]);
  });

  it('rejects absurd timestamps without creating windows', () => {
    const ws = new ServiceWindows(1000, 0, () => 1_700_000_000_000);
    expect(ws.windowFor('a', Number.NaN)).toBeUndefined();
    expect(ws.windowFor('a', 0)).toBeUndefined();
    expect(ws.openCount()).toBe(0);
    expect(ws.absurd).toBe(2);
    expect(ws.late).toBe(0);
  });
});

describe('open windows in checkpoints', () => {
  it('a restored instance continues the open windows, watermark and counter series', () => {
    const wall = 1_700_000_000_000;
    const a = new ServiceWindows(1000, 0, () => wall);
    a.windowFor('a', wall)!.addRequest(10, true);
    a.windowFor('a', wall + 1500)!.addRequest(30, false);
    a.windowFor('a', wall + 1600)!.addHistogram('rpc', [10, 20], [0, 4, 0]);
    a.windowFor('a', wall + 1700)!.addIncrement('bytes', 500);
    expect(a.closeDue().map((w) => w.startMs)).toEqual([wall]);
    const b = new ServiceWindows(1000, 0, () => wall);
    b.restore('a', JSON.parse(JSON.stringify(a.snapshot('a'))));
    expect(b.windowFor('a', wall + 10)).toBeUndefined(); // its window already closed before the hand-over
    expect(b.late).toBe(1);
    b.windowFor('a', wall + 1800)!.addRequest(30, false);
    a.windowFor('a', wall + 1800)!.addRequest(30, false);
    const fb = b.closeAll().map((w) => w.features());
    expect(fb).toEqual(a.closeAll().map((w) => w.features()));
    expect(fb[0]).toMatchObject({ request_rate: 2, 'metric:rpc:p50': 15, 'metric:bytes:rate': 500 });
  });
});

describe('SeasonalScorer', () => {
  const T0 = Date.UTC(2026, 0, 5);
  it('scores a steady series low and an error burst high, with evidence', () => {
    const s = new SeasonalScorer();
    for (let i = 0; i < 20; i++) {
      const f = { error_ratio: 0.01, request_rate: 50 + (i % 3) };
      const r = s.score(f, T0 + i * 10_000);
      expect(r.score).toBeLessThan(0.5);
      s.learn(f, T0 + i * 10_000, r.score);
    }
    const r = s.score({ error_ratio: 0.6, request_rate: 51 }, T0 + 200_000);
    expect(r.score).toBeGreaterThan(0.9);
    expect(r.evidence[0]?.feature).toBe('error_ratio');
    expect(r.evidence[0]?.observed).toBe(0.6);
    expect(r.evidence[0]?.expected).toBeCloseTo(0.01, 6);
  });

  it('does not learn anomalous windows until the shift persists (level shift)', () => {
    const s = new SeasonalScorer({ ...DEFAULT_SEASONAL_SCORER, adaptAfter: 10 });
    let t = T0;
    const feed = (x: number) => {
      t += 10_000;
      const r = s.score({ latency_p99_ms: x }, t);
      s.learn({ latency_p99_ms: x }, t, r.score);
      return r.score;
    };
    for (let i = 0; i < 30; i++) feed(100);
    const during = Array.from({ length: 8 }, () => feed(400));
    expect(Math.min(...during)).toBeGreaterThan(0.9); // not learned: stays anomalous
    for (let i = 0; i < 200; i++) feed(400);
    expect(feed(400)).toBeLessThan(0.5); // the new level became normal
  });

  it("keeps every feature's baselines when features keep appearing, and resumes identically from its JSON state", () => {
    const a = new SeasonalScorer();
    // Features appear one at a time over the hours (the live layout regrows), each with its own daily shape.
    const at = (h: number) => T0 + h * 3_600_000;
    const window = (h: number) =>
      Object.fromEntries(Array.from({ length: Math.min(11, 1 + Math.floor(h / 10)) }, (_, f) => [`metric:m${f}`, 100 * (f + 1) + (h % 24) * (f + 1)]));
    for (let h = 0; h < 200; h++) a.learn(window(h), at(h), 0);
    const b = new SeasonalScorer(undefined, JSON.parse(JSON.stringify(a.toJSON())));
    expect(b.toJSON()).toEqual(a.toJSON());
    expect(a.toJSON().features).toHaveLength(11);
    for (let h = 200; h < 230; h++) {
      const w = window(h);
      if (h === 215) w['metric:m3'] = 5_000;
      const sa = a.score(w, at(h));
      expect(b.score(w, at(h))).toEqual(sa);
      if (h === 215) expect(sa.evidence[0]?.feature).toBe('metric:m3');
      else expect(sa.score).toBeLessThan(0.5); // each feature's hourly shape was learned in its own slots
      a.learn(w, at(h), sa.score);
      b.learn(w, at(h), sa.score);
    }
  });

  it('ignores non-finite values', () => {
    const s = new SeasonalScorer();
    for (let i = 0; i < 10; i++) s.learn({ latency_p99_ms: 100 }, T0 + i * 10_000, 0);
    const before = JSON.stringify(s.toJSON());
    expect(s.score({ latency_p99_ms: Number.NaN }, T0 + 200_000).score).toBe(0);
    s.learn({ latency_p99_ms: Number.POSITIVE_INFINITY }, T0 + 200_000, 0);
    expect(JSON.stringify(s.toJSON())).toBe(before);
  });

  it('maps deviations monotonically into [0, 1]', () => {
    expect(deviationToScore(DEFAULT_SEASONAL_SCORER.z50, DEFAULT_SEASONAL_SCORER.z50)).toBeCloseTo(0.5);
    expect(deviationToScore(-5, 3)).toBe(0);
    expect(deviationToScore(100, 3)).toBeLessThanOrEqual(1);
    expect(deviationToScore(6, 3)).toBeGreaterThan(deviationToScore(4, 3));
  });
});

const EPISODE = { openLevel: 0.7, closeLevel: 0.5, minOpenMs: 0, minCloseMs: 1000, flapWindowMs: 60_000, flapOpenings: 3 };

function window(service: string, i: number, errorRatio: number, requestRate = 30): WindowInput {
  return {
    service,
    startMs: 1_700_000_000_000 + i * 1000,
    endMs: 1_700_000_001_000 + i * 1000,
    features: { request_rate: requestRate, error_ratio: errorRatio, latency_p99_ms: 20 },
    callees: [],
  };
}

describe('ServiceModels', () => {
  it('opens an episode on an error burst, keeps it through one dip and closes after two quiet windows', () => {
    const m = new ServiceModels({ episode: EPISODE });
    const ratios = [...new Array(12).fill(0), 0.7, 0.7, 0.3, 0.7, 0, 0, 0];
    const out = ratios.map((r, i) => m.scoreBatch([window('a', i, r)])[0]!);
    expect(out.map((r) => r.transition)).toEqual([...new Array(12).fill('none'), 'open', 'ongoing', 'ongoing', 'ongoing', 'ongoing', 'closed', 'none']);
    const ids = new Set(out.filter((r) => r.episodeId).map((r) => r.episodeId));
    expect([...ids]).toEqual([`a:${window('a', 12, 0).endMs}:1`]);
    expect(out[12]!.evidence[0]?.feature).toBe('error_ratio');
    // events only when something material happens: the opening and the closing
    expect(out.flatMap((r, i) => (r.emit ? [i] : []))).toEqual([12, 17]);
  });

  it('emits an ongoing event when the severity rises and as a heartbeat', () => {
    const m = new ServiceModels({ episode: EPISODE, heartbeatWindows: 3, warmupWindows: 10 });
    // 300 requests a window: 12 % failing is beyond chance (36 of 300; of 30 requests it would be within noise)
    const ratios = [...new Array(12).fill(0), 0.12, 0.7, 0.7, 0.7, 0.7, 0.7];
    const out = ratios.map((r, i) => m.scoreBatch([window('a', i, r, 300)])[0]!);
    expect(out[12]).toMatchObject({ transition: 'open', emit: true });
    expect(out[12]!.score).toBeLessThan(0.9);
    expect(out.slice(13).map((r) => [r.transition, r.emit])).toEqual([
      ['ongoing', true], // warning -> critical
      ['ongoing', false],
      ['ongoing', false],
      ['ongoing', true], // heartbeat
      ['ongoing', false],
    ]);
  });

  it('scores each service the same alone or batched with others', () => {
    const alone = new ServiceModels({ episode: EPISODE });
    const batched = new ServiceModels({ episode: EPISODE });
    for (let i = 0; i < 20; i++) {
      const r = i === 15 ? 0.5 : 0.01 * (i % 3);
      const a = alone.scoreBatch([window('a', i, r)])[0]!;
      const b = batched.scoreBatch([window('b', i, 0.02), window('a', i, r), window('c', i, 0.9)]).find((x) => x.input.service === 'a')!;
      expect(b.score).toBe(a.score);
      expect(b.transition).toBe(a.transition);
    }
  });

  it('restoring a snapshot gives identical subsequent scores', () => {
    const a = new ServiceModels({ episode: EPISODE });
    a.notePartition('svc', 3);
    for (let i = 0; i < 70; i++) a.scoreBatch([window('svc', i, 0.01 * (i % 2))]);
    const b = new ServiceModels({ episode: EPISODE });
    b.restore(JSON.parse(JSON.stringify(a.snapshot(new Set([3])))));
    for (let i = 70; i < 90; i++) {
      const w = window('svc', i, i === 80 ? 0.5 : 0.01);
      // Expected bands compared by value (each instance keeps them in its own shared arrays).
      const byValue = (r: ServiceScore) => ({ ...r, expected: bandsRecord(r.expected) });
      expect(b.scoreBatch([w]).map(byValue)).toEqual(a.scoreBatch([w]).map(byValue));
    }
    expect(a.snapshot(new Set([4]))).toEqual({});
  });
});
