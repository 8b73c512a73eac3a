import { describe, expect, it } from 'vitest';
import { dayReplicaMinutes, inSurge, judgeLive, spanMinutes } from './live-score.ts';

describe('dayReplicaMinutes', () => {
  it('adds the unmeasured rest of the day at the minimum', () => {
    expect(dayReplicaMinutes([1, 1, 3, 3, 3, 2.5, 1], 60)).toBeCloseTo(14.5 + 53, 9);
  });

  it('is unknown when a side is above its minimum at either end of the span', () => {
    expect(dayReplicaMinutes([1, 3, 3, 2], 60)).toBeNull();
    expect(dayReplicaMinutes([2, 3, 1], 60)).toBeNull();
    expect(dayReplicaMinutes([], 60)).toBeNull();
  });

  it('is unknown for a span longer than the day', () => {
    expect(dayReplicaMinutes([1, 1, 1], 2)).toBeNull();
  });
});

describe('judgeLive', () => {
  const side = (above: number, span: number, day: number | null) => ({ minutesAboveObjective: above, spanReplicaMinutes: span, dayReplicaMinutes: day });

  it('meets both targets at 80 % fewer minutes and 1.2x the replica-minutes over the day, exactly', () => {
    const v = judgeLive(side(5, 20, 70), side(1, 30, 84));
    expect(v.cut).toBeCloseTo(0.8, 9);
    expect(v.costOver).toBe('day');
    expect(v.cost).toBeCloseTo(1.2, 9);
    expect(v.meetsCut).toBe(true);
    expect(v.meetsCost).toBe(true);
  });

  it('misses them just below the cut and just above the cost', () => {
    const v = judgeLive(side(4, 20, 70), side(1, 20, 84.1));
    expect(v.cut).toBeCloseTo(0.75, 9);
    expect(v.meetsCut).toBe(false);
    expect(v.meetsCost).toBe(false);
  });

  it('judges the cost over the span when a side has no day figure, and has no cut when reactive had no minute above', () => {
    const v = judgeLive(side(0, 20, 70), side(0, 26, null));
    expect(v.cut).toBeNull();
    expect(v.meetsCut).toBe(false);
    expect(v.costOver).toBe('span');
    expect(v.cost).toBeCloseTo(1.3, 9);
    expect(v.meetsCost).toBe(false);
  });
});

describe('the measured span of several surges', () => {
  const span = { beforeMinutes: 3, surgeMinutes: 3, afterMinutes: 7, dayMinutes: 30, cycles: 2 };

  it('runs from the minutes before the first surge to the minutes after the last, one day apart', () => {
    expect(spanMinutes(span)).toBe(3 + 30 + 3 + 7);
    expect(spanMinutes({ ...span, cycles: 1 })).toBe(13);
  });

  it('marks the minutes of each surge and no other', () => {
    const on = Array.from({ length: spanMinutes(span) }, (_, i) => i).filter((i) => inSurge(span, i));
    expect(on).toEqual([3, 4, 5, 33, 34, 35]);
    expect(Array.from({ length: 13 }, (_, i) => i).filter((i) => inSurge({ ...span, cycles: 1 }, i))).toEqual([3, 4, 5]);
  });
});
