import { describe, expect, it } from 'vitest';
import { FlatLine } from './flat-line.ts';

describe('FlatLine', () => {
  it('keeps the last value of every feature of a first window, also those that made its counts grow', () => {
    // Room for four features at first: the fifth and sixth of the window grow the counts while it is being scored.
    const flat = new FlatLine(20);
    const first = { a: 1.5, b: 2.5, c: 3.5, d: 4.5, e: 5.5, f: 6.5 };
    flat.score(first);
    const state = flat.toJSON();
    expect(state.features).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    // Per feature: last value, run, then the decayed counts (see flat-line.ts).
    expect(state.features.map((_, i) => state.data[i * 6])).toEqual([1.5, 2.5, 3.5, 4.5, 5.5, 6.5]);
    // So the next window's repeats count for every feature, the grown ones too.
    flat.learn();
    flat.score(first);
    const again = flat.toJSON();
    expect(again.features.map((_, i) => again.data[i * 6 + 1])).toEqual([1, 1, 1, 1, 1, 1]);
  });
});
