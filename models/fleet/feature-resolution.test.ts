import { describe, expect, it } from 'vitest';
import { createRng } from '../stats/index.ts';
import { SeasonalScorer } from './seasonal-scorer.ts';

const T0 = Date.UTC(2026, 0, 5);
const STEP = 300_000;

/** A scorer fed `n` windows of `f(k)` (learned as normal). */
function fed(n: number, f: (k: number) => Record<string, number>): SeasonalScorer {
  const s = new SeasonalScorer();
  for (let k = 0; k < n; k++) {
    const t = T0 + k * STEP;
    const w = f(k);
    s.learn(w, t, s.score(w, t).score);
    s.learnTail();
  }
  return s;
}

describe('spread floor of a metric by its resolution', () => {
  it('does not score the first change of a metric that was constant in its history as millions of spreads', () => {
    const s = fed(2000, () => ({ 'metric:disk_errors': 0, 'metric:queue': 7 }));
    const t = T0 + 2000 * STEP;
    const first = s.score({ 'metric:disk_errors': 40, 'metric:queue': 7 }, t);
    expect(first.score).toBeLessThan(0.5);
    expect(first.evidence).toEqual([]);
    const band = s.expectations({ 'metric:disk_errors': 40 }, t)['metric:disk_errors'];
    expect(band?.[2]).toBeGreaterThanOrEqual(40);
  });

  it('floors the spread by the smallest step seen: a quantized metric scores its jumps in steps', () => {
    const rng = createRng(3);
    // A count that is mostly 0 and sometimes 1: its resolution is 1.
    const s = fed(2000, () => ({ 'metric:retries': rng.next() < 0.02 ? 1 : 0 }));
    const t = T0 + 2000 * STEP;
    expect(s.score({ 'metric:retries': 1 }, t).score).toBeLessThan(0.5);
    const jump = s.score({ 'metric:retries': 50 }, t);
    expect(jump.score).toBeGreaterThan(0.9);
    expect(jump.evidence[0]?.feature).toBe('metric:retries');
    expect(Math.abs(jump.evidence[0]?.deviation ?? 0)).toBeLessThanOrEqual(50);
  });

  it('keeps named features on their own floors: the first errors of a service that never had any still alarm', () => {
    const s = fed(500, () => ({ error_ratio: 0, request_rate: 100 }));
    const r = s.score({ error_ratio: 0.5, request_rate: 100 }, T0 + 500 * STEP);
    expect(r.score).toBeGreaterThan(0.9);
    expect(r.evidence[0]?.feature).toBe('error_ratio');
  });

  it('keeps the resolution across a checkpoint, and leaves older checkpoints without it as they were', () => {
    const s = fed(300, (k) => ({ 'metric:level': 5, 'metric:noisy': 10 + (k % 3) }));
    const state = JSON.parse(JSON.stringify(s.toJSON()));
    const t = T0 + 300 * STEP;
    const w = { 'metric:level': 9, 'metric:noisy': 11 };
    expect(new SeasonalScorer(undefined, state).score(w, t).score).toBeCloseTo(s.score(w, t).score, 12);
    delete state.resolution;
    const old = new SeasonalScorer(undefined, state);
    // Constant in its history: still at most one spread; varied: no floor until its next step.
    expect(old.score({ 'metric:level': 9 }, t).score).toBeLessThan(0.5);
    expect(old.toJSON().resolution).toHaveLength(4);
  });
});
