import { describe, expect, it } from 'vitest';
import { SeasonalBaseline, SeasonalSlots } from './seasonal-baseline.ts';

const HOUR = 3_600_000;
const daily = (t: number) => 100 + 50 * Math.sin((2 * Math.PI * (t % (24 * HOUR))) / (24 * HOUR));

describe('SeasonalBaseline', () => {
  it('learns a daily pattern so that the expectation follows the time of day', () => {
    const b = new SeasonalBaseline({ buckets: 48 });
    for (let t = 0; t < 20 * 24 * HOUR; t += HOUR / 12) b.learn(t, daily(t));
    const t6 = 20 * 24 * HOUR + 6 * HOUR;
    const t18 = 20 * 24 * HOUR + 18 * HOUR;
    expect(Math.abs(b.expect(t6).expected - daily(t6))).toBeLessThan(5);
    expect(Math.abs(b.expect(t18).expected - daily(t18))).toBeLessThan(5);
    expect(b.expect(t6).scale).toBeLessThan(5);
  });

  it('adapts to a level shift within hours, not days', () => {
    const adaptive = new SeasonalBaseline({ buckets: 48 });
    const fixed = new SeasonalBaseline({ buckets: 48, levelAlpha: 0 });
    const end = 10 * 24 * HOUR;
    for (let t = 0; t < end + 6 * HOUR; t += HOUR / 12) {
      for (const b of [adaptive, fixed]) b.learn(t, daily(t) + (t >= end ? 200 : 0));
    }
    const t = end + 6 * HOUR;
    // Slots not visited since the shift: only the level term can carry it.
    expect(adaptive.expect(t).expected - daily(t)).toBeGreaterThan(100);
    expect(fixed.expect(t).expected - daily(t)).toBeLessThan(10);
  });

  it('returns NaN for unseen slots, ignores non-finite values and round-trips through JSON', () => {
    const b = new SeasonalBaseline();
    expect(Number.isNaN(b.expect(0).expected)).toBe(true);
    b.learn(0, 5);
    b.learn(HOUR, Number.NaN);
    const copy = new SeasonalBaseline({}, JSON.parse(JSON.stringify(b.toJSON())));
    expect(copy.expect(0)).toEqual(b.expect(0));
    expect(Number.isNaN(copy.expect(HOUR).expected)).toBe(true);
  });
});

describe('SeasonalSlots and SeasonalBaseline are one model', () => {
  it('a block in a shared array and a baseline of its own learn and expect the same, value for value', () => {
    const slots = new SeasonalSlots({ buckets: 24 });
    const buf = new Float64Array(3 * slots.blockSize);
    const own = new SeasonalBaseline({ buckets: 24 });
    for (let t = 0; t < 5 * 24 * HOUR; t += HOUR / 6) {
      const v = daily(t) + (t > 3 * 24 * HOUR ? 40 : 0) + (t % 7);
      expect(slots.expected(buf, slots.blockSize, t)).toEqual(own.expect(t).expected);
      slots.learn(buf, slots.blockSize, t, v);
      own.learn(t, v);
    }
    expect(slots.scale(buf, slots.blockSize)).toBe(own.expect(0).scale);
    expect(buf.subarray(0, slots.blockSize).every((x) => x === 0)).toBe(true);
  });

  it('reads the state saved before the merge (one weighted mean per slot)', () => {
    const legacy = {
      config: { periodMs: 4 * HOUR, buckets: 4, bucketAlpha: 0.1, levelAlpha: 0.02, scaleAlpha: 0.01 },
      buckets: [{ alpha: 0.1, mean: 10, variance: 1, count: 3 }, null, { alpha: 0.1, mean: 30, variance: 1, count: 2 }, null],
      level: { alpha: 0.02, mean: 2, variance: 0, count: 4 },
      scale: { alpha: 0.01, mean: 1.5, variance: 0, count: 4 },
    };
    const b = new SeasonalBaseline({}, legacy);
    expect(b.expect(0)).toEqual({ expected: 12, scale: 1.5 });
    expect(Number.isNaN(b.expect(HOUR).expected)).toBe(true);
    expect(b.expect(2 * HOUR).expected).toBe(32);
    expect(b.toJSON().block).toEqual([2, 4, 1.5, 4, 10, 3, 0, 0, 30, 2, 0, 0]);
  });
});
