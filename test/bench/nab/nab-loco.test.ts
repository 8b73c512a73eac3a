/**
 * The LOCO protocol on hand-made rows with a known answer: two categories,
 * two configurations, each right on one category and wrong on the other.
 * In-sample, either configuration earns one window and pays one miss and
 * one false positive; held out, each category gets the configuration that
 * was right on the other one, so both miss and both pay a false positive.
 */
import { describe, expect, it } from 'vitest';
import { declaredGrid, inSample, leaveOneCategoryOut } from './nab-loco.ts';
import type { NabProfile, ScoredRow } from './nab-scorer.ts';

const STANDARD: NabProfile = { tp: 1, fp: 0.11, fn: 1 };

/**
 * A category: its window's row (id `window`), one outside row with the scores
 * given, and 30 quiet outside rows (score 0), so that firing on every row is
 * never the best threshold.
 */
function category(window: number, windowScore: number, outsideScore: number): ScoredRow[] {
  const quiet: ScoredRow[] = Array.from({ length: 30 }, () => ({ score: 0, weight: -0.11, role: { kind: 'outside' } }));
  return [{ score: windowScore, weight: 1, role: { kind: 'window', window } }, { score: outsideScore, weight: -0.11, role: { kind: 'outside' } }, ...quiet];
}

describe('leave-one-category-out', () => {
  const right0 = new Map([
    ['A', category(0, 1, 0)],
    ['B', category(1, 0, 1)],
  ]);
  const right1 = new Map([
    ['A', category(0, 0, 1)],
    ['B', category(1, 1, 0)],
  ]);

  it('picks on the other categories and scores the held-out one with that pick', () => {
    const ins = inSample([right0, right1], STANDARD);
    // One window (+1), one miss (-1), one false positive (-0.11) against a null score of -2 and a perfect +2.
    expect(ins.normalized).toBeCloseTo((100 * (-0.11 + 2)) / 4, 9);
    const loco = leaveOneCategoryOut([right0, right1], STANDARD);
    expect(loco.folds.get('A')?.config).toBe(1);
    expect(loco.folds.get('B')?.config).toBe(0);
    expect(loco.normalized).toBeCloseTo((100 * (-2.22 + 2)) / 4, 9);
  });

  it('declares a small grid of distinct configurations', () => {
    const grid = declaredGrid();
    expect(grid.length).toBeLessThanOrEqual(32);
    expect(new Set(grid.map((c) => JSON.stringify(c))).size).toBe(grid.length);
  });
});
