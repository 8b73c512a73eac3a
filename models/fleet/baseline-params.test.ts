import { describe, expect, it } from 'vitest';
import { baselineParameters, canonicalJson } from './baseline-params.ts';
import { DEFAULT_SEASONAL_SCORER } from './seasonal-scorer.ts';

describe('baseline parameters', () => {
  it('writes the same canonical text whatever the key order, and leaves undefined members out', () => {
    const a = canonicalJson({ b: [1, { y: 2, x: undefined, w: 'v' }], a: null });
    const b = canonicalJson({ a: null, b: [1, { w: 'v', y: 2 }] });
    expect(a).toBe(b);
    expect(JSON.parse(a)).toEqual({ a: null, b: [1, { w: 'v', y: 2 }] });
  });

  it('covers z50, warm-up, half-lives, the tail calibration and accept-after, and changes with each', () => {
    const episode = { openLevel: 0.7, closeLevel: 0.5, minCloseMs: 10_000 };
    const base = baselineParameters({ episode }) as {
      seasonal: { scorer: { z50: number; warmup: number }; daily: { halfLives: { bucket: number } }; recentHalfLife: number; spread: string };
      tail: { windows: number };
      warmupWindows: number;
      acceptAfterMs: number;
    };
    expect(base.seasonal.scorer).toEqual(DEFAULT_SEASONAL_SCORER);
    // An average weighing a new sample 0.1 halves an old one's weight in about 6.6 samples.
    expect(base.seasonal.recentHalfLife).toBeCloseTo(Math.log(0.5) / Math.log(0.9), 12);
    expect(base.seasonal.daily.halfLives.bucket).toBeGreaterThan(0);
    // The spread's rule is named: a detector before the settled-spread rule ran other baselines.
    expect(base.seasonal.spread).toMatch(/settled|1 \/ scaleAlpha/);
    expect(base.tail.windows).toBeGreaterThan(0);
    expect(base.warmupWindows).toBeGreaterThan(0);
    expect(base.acceptAfterMs).toBeGreaterThan(0);
    const text = canonicalJson(base);
    expect(canonicalJson(baselineParameters({ episode: { ...episode } }))).toBe(text);
    const variants = [
      baselineParameters({ episode, scorer: { ...DEFAULT_SEASONAL_SCORER, z50: DEFAULT_SEASONAL_SCORER.z50 + 1 } }),
      baselineParameters({ episode, warmupWindows: base.warmupWindows + 1 }),
      baselineParameters({ episode, acceptAfterMs: base.acceptAfterMs * 2 }),
      baselineParameters({ episode: { ...episode, minCloseMs: 5_000 } }),
    ].map(canonicalJson);
    expect(new Set([text, ...variants]).size).toBe(5);
  });
});
