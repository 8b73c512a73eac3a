import { describe, expect, it } from 'vitest';
import { createRng } from './rng.ts';
import { RollingExtremes } from './rolling-extremes.ts';

describe('RollingExtremes', () => {
  it('matches a brute-force min and max of the last `size` values, and restores from JSON', () => {
    const rng = createRng(1);
    const values = Array.from({ length: 2000 }, (_, i) => Math.round(100 * rng.next()) + (i % 300 === 0 ? 500 : 0));
    let w = new RollingExtremes(64);
    expect(Number.isNaN(w.max)).toBe(true);
    for (const [i, v] of values.entries()) {
      w.push(v);
      if (i === 999) w = new RollingExtremes(1, JSON.parse(JSON.stringify(w.toJSON())));
      const last = values.slice(Math.max(0, i - 63), i + 1);
      expect(w.max).toBe(Math.max(...last));
      expect(w.min).toBe(Math.min(...last));
    }
  });

  it('ignores non-finite values', () => {
    const w = new RollingExtremes(3);
    for (const v of [1, Number.NaN, 5, Number.POSITIVE_INFINITY, 2]) w.push(v);
    expect([w.min, w.max]).toEqual([1, 5]);
    w.push(3);
    expect([w.min, w.max]).toEqual([2, 5]);
  });
});
