import { describe, expect, it } from 'vitest';
import { SeasonalBaseline } from './seasonal-baseline.ts';

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
