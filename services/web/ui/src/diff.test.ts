import { describe, expect, it } from 'vitest';
import { lineDiff } from './diff.ts';

describe('lineDiff', () => {
  it('keeps common lines and marks the changed ones, in order', () => {
    const d = lineDiff('name: a\nmode: observe\nsteps: 1', 'name: a\nmode: auto\nsteps: 1\nextra: x');
    expect(d).toEqual([
      { op: ' ', text: 'name: a' },
      { op: '-', text: 'mode: observe' },
      { op: '+', text: 'mode: auto' },
      { op: ' ', text: 'steps: 1' },
      { op: '+', text: 'extra: x' },
    ]);
  });
  it('is all kept for equal texts and all added from an empty one', () => {
    expect(lineDiff('a\nb', 'a\nb').every((l) => l.op === ' ')).toBe(true);
    expect(lineDiff('', 'x').map((l) => l.op)).toEqual(['-', '+']);
  });
});
