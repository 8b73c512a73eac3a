import { describe, expect, it } from 'vitest';
import { SeasonalScorer } from './seasonal-scorer.ts';

describe('SeasonalScorer.expectations', () => {
  it('gives the expected value and the band where a feature starts to score 0.5', () => {
    const s = new SeasonalScorer();
    const t0 = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 200; i++) s.learn({ latency_p99_ms: 100 + (i % 2 === 0 ? 5 : -5) }, t0 + i * 10_000, 0);
    const t = t0 + 200 * 10_000;
    const band = s.expectations({ latency_p99_ms: 0, unknown: 1 }, t).latency_p99_ms as [number, number, number];
    expect(Object.keys(s.expectations({ latency_p99_ms: 0, unknown: 1 }, t))).toEqual(['latency_p99_ms']);
    expect(band[0]).toBeGreaterThan(95);
    expect(band[0]).toBeLessThan(105);
    expect(band[1]).toBeLessThan(band[0]);
    expect(band[2]).toBeGreaterThan(band[0]);
    // Just inside the band scores below 0.5, just outside at or above it (evidence).
    expect(s.score({ latency_p99_ms: band[2] * 0.999 }, t).score).toBeLessThan(0.5);
    expect(s.score({ latency_p99_ms: band[2] * 1.01 }, t).score).toBeGreaterThanOrEqual(0.5);
  });
});
