import { describe, expect, it } from 'vitest';
import { ArtDetector } from './art-detector.ts';
import { EnsembleDetector } from './ensemble-detector.ts';
import { FuzzyArt } from './fuzzy-art.ts';
import { createRng } from './rng.ts';

const STEP = 300_000; // 5 minutes

/** A noisy daily pattern with a level shift from row `shiftAt` (if given). */
function series(n: number, seed: number, shiftAt = -1): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, i) => {
    const base = 100 + 20 * Math.sin((2 * Math.PI * i) / 288) + 3 * (rng.next() - 0.5);
    return shiftAt >= 0 && i >= shiftAt && i < shiftAt + 30 ? base + 60 : base;
  });
}

function run(d: { update(t: number, v: number): number }, values: number[], from = 0): number[] {
  return values.map((v, i) => d.update((from + i) * STEP, v));
}

describe('FuzzyArt', () => {
  it('resonates fully with a learned input and founds a category for a distant one', () => {
    const art = new FuzzyArt({ dims: 2 });
    expect(art.present([0.2, 0.3], 0.9).created).toBe(true);
    expect(art.present([0.2, 0.3], 0.9)).toEqual({ bestMatch: 1, created: false });
    const far = art.present([0.9, 0.9], 0.9);
    expect(far.created).toBe(true);
    expect(far.bestMatch).toBeCloseTo(1 - (0.7 + 0.6) / 2, 10);
    expect(art.size).toBe(2);
  });

  it('replaces the least recently used category when full', () => {
    const art = new FuzzyArt({ dims: 1, maxCategories: 2 });
    art.present([0], 0.99);
    art.present([0.5], 0.99);
    art.present([0], 0.99);
    art.present([1], 0.99);
    expect(art.present([0], 0.99).bestMatch).toBe(1);
    expect(art.present([0.5], 0.99, false).bestMatch).toBeLessThan(1);
  });
});

describe('ArtDetector', () => {
  it('alarms on a never-seen shape and stays quiet on a learned daily pattern', () => {
    const scores = run(new ArtDetector(), series(4000, 1, 3500));
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    expect(Math.max(...scores.slice(3500, 3520))).toBeGreaterThan(0.2);
    expect(scores.slice(2000, 3490).filter((s) => s > 0).length).toBeLessThanOrEqual(2);
  });

  it('has no look-ahead: changing or appending later rows leaves earlier scores unchanged', () => {
    const values = series(2000, 2);
    const base = run(new ArtDetector(), values);
    const changed = values.slice();
    for (let i = 1500; i < 2000; i++) changed[i] = (changed[i] as number) * 3;
    const other = run(new ArtDetector(), [...changed, ...series(200, 9)]);
    expect(other.slice(0, 1500)).toEqual(base.slice(0, 1500));
    expect(other.slice(1500, 2000)).not.toEqual(base.slice(1500, 2000));
  });

  it('is deterministic', () => {
    const values = series(3000, 4, 2500);
    expect(run(new ArtDetector(), values)).toEqual(run(new ArtDetector(), values));
  });

  it('restores from a JSON checkpoint and then scores identically', () => {
    const values = series(4000, 3, 3500);
    const a = new ArtDetector();
    run(a, values.slice(0, 1200));
    const b = new ArtDetector({}, JSON.parse(JSON.stringify(a.toJSON())));
    const rest = values.slice(1200);
    const sa = run(a, rest, 1200);
    expect(run(b, rest, 1200)).toEqual(sa);
    expect(Math.max(...sa)).toBeGreaterThan(0.2);
  });

  it('scores non-finite values 0 without changing what follows', () => {
    const values = series(2500, 5, 2200);
    const clean = run(new ArtDetector(), values);
    const d = new ArtDetector();
    const dirty: number[] = [];
    for (const [i, v] of values.entries()) {
      if (i === 1000) expect([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY].map((x) => d.update(i * STEP, x))).toEqual([0, 0, 0]);
      dirty.push(d.update(i * STEP, v));
    }
    expect(dirty).toEqual(clean);
    expect(d.update(Number.NaN, 1)).toBe(0);
  });
});

describe('EnsembleDetector', () => {
  it('restores from a JSON checkpoint and then scores identically, in both modes', () => {
    for (const mode of ['corroborate', 'max'] as const) {
      const values = series(4000, 6, 3500);
      const a = new EnsembleDetector({ mode });
      run(a, values.slice(0, 1500));
      const b = new EnsembleDetector({}, JSON.parse(JSON.stringify(a.toJSON())));
      const rest = values.slice(1500);
      const sa = run(a, rest, 1500);
      expect(run(b, rest, 1500)).toEqual(sa);
      expect(Math.max(...sa)).toBeGreaterThan(0.25);
    }
  });

  it('has no look-ahead and ignores non-finite values', () => {
    const values = series(2000, 7);
    const base = run(new EnsembleDetector(), values);
    const changed = values.map((v, i) => (i >= 1500 ? v * 3 : v));
    expect(run(new EnsembleDetector(), changed).slice(0, 1500)).toEqual(base.slice(0, 1500));
    expect(new EnsembleDetector().update(0, Number.NaN)).toBe(0);
  });
});
