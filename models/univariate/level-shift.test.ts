import { describe, expect, it } from 'vitest';
import { createRng } from '../stats/index.ts';
import { LevelShift } from './level-shift.ts';

describe('LevelShift', () => {
  it('is 0 until its block of rows is full', () => {
    const s = new LevelShift(4);
    for (const x of [50, 50, 50]) s.push(x);
    expect(s.shift(0, 1)).toBe(0);
    s.push(50);
    expect(s.shift(0, 1)).toBe(50);
  });

  it('scores a steady new level far above a scattered burst of the same mean', () => {
    const plateau = new LevelShift(6);
    for (const x of [10, 11, 9, 10, 10, 11]) plateau.push(x);
    const burst = new LevelShift(6);
    for (const x of [2, 25, 4, 18, 1, 10]) burst.push(x);
    // Both sit near 10 above a level of 0 with unit noise; the burst's own spread dilutes it.
    expect(plateau.shift(0, 1)).toBeGreaterThan(8);
    expect(burst.shift(0, 1)).toBeLessThan(1.5);
  });

  it('measures the shift in units of the given noise when the block is tight', () => {
    const s = new LevelShift(5);
    for (let i = 0; i < 5; i++) s.push(-30);
    expect(s.shift(0, 5)).toBe(6);
    expect(s.shift(Number.NaN, 5)).toBe(0);
  });

  it('restores from its JSON state and ignores non-finite values', () => {
    const rng = createRng(3);
    const a = new LevelShift(8);
    for (let i = 0; i < 20; i++) a.push(rng.next() * 10);
    a.push(Number.NaN);
    const b = new LevelShift(8, JSON.parse(JSON.stringify(a.toJSON())));
    for (const x of [7, 8, 9]) {
      a.push(x);
      b.push(x);
    }
    expect(b.shift(1, 0.5)).toBe(a.shift(1, 0.5));
  });
});
