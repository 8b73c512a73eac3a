import { describe, expect, it } from 'vitest';
import { dayReplicaMinutes } from './live-score.ts';

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
