/**
 * The NAB scoring primitives on hand-made rows. That the scorer reproduces
 * NAB's published per-file scores needs the NAB dataset: `make bench-nab`
 * checks it first (check-nab-scorer.ts), so this file runs on a clean checkout.
 */
import { describe, expect, it } from 'vitest';
import { type NabProfile, prepareRows, probationRows, scaledSigmoid, scoreAtThreshold, sweepThreshold } from './nab-scorer.ts';

const STANDARD: NabProfile = { tp: 1, fp: 0.11, fn: 1 };

describe('NAB scoring primitives', () => {
  it('computes probation as min(floor(15%), 750)', () => {
    expect(probationRows(1000)).toBe(150);
    expect(probationRows(4032)).toBe(604);
    expect(probationRows(15902)).toBe(750);
  });

  it('scaled sigmoid is 1-ish at the window start, 0 at its end and -1 far after', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(3.5)).toBe(-1);
  });

  it('counts only the earliest detection in a window and weights false positives', () => {
    const n = 100; // probation 15 rows
    const scores = new Array<number>(n).fill(0);
    scores[20] = 1; // FP before any window: -fp
    scores[50] = 1; // first row of window [50, 59]: full tp
    scores[55] = 1; // later in the same window: ignored
    scores[60] = 1; // right after the window: almost free
    const rows = prepareRows(scores, [{ start: 50, end: 59 }], STANDARD);
    const r = scoreAtThreshold(rows, 0.5, STANDARD);
    const fpAfter = scaledSigmoid(1 / 9) * STANDARD.fp;
    expect(r.score).toBeCloseTo(-0.11 + 1 + fpAfter, 12);
    expect([r.tp, r.fp]).toEqual([2, 2]);
  });

  it('sweeps to the best threshold and never fires when every detection costs', () => {
    const scores = Array.from({ length: 100 }, (_, i) => (i === 30 ? 0.9 : i === 52 ? 0.8 : 0.1));
    const rows = prepareRows(scores, [{ start: 50, end: 59 }], STANDARD);
    const s = sweepThreshold(rows, STANDARD);
    expect(s.threshold).toBe(0.8);
    expect(s.nullScore).toBe(-1);
    const only = prepareRows(
      scores.map((_v, i) => (i === 30 ? 0.9 : 0)),
      [{ start: 50, end: 59 }],
      STANDARD,
    );
    expect(sweepThreshold(only, STANDARD).threshold).toBe(Number.POSITIVE_INFINITY);
  });
});
