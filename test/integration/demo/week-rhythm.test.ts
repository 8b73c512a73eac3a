/**
 * The demo load generator's compressed week: weekday levels as specified,
 * a level of each day of its own that holds all day, slow growth that
 * stops, and the generator's rate following it (or, without a week, the
 * daily rhythm alone as before).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_WEEK, dailyRate, demoRate, startLoad, type WeekRhythm, weekFactor } from '../../../infra/demo/load-generator.ts';
import { weekOption } from '../../../infra/demo/run-demo.ts';
import { SHOP } from '../../../infra/demo/topology.ts';

const DAY_MIN = 60;
const DAY_MS = DAY_MIN * 60_000;
// A Monday of the compressed calendar (day numbers from the epoch; day mod 7 = 0 is Monday), far from the epoch.
const MONDAY = 7 * 100_000;

/** The mean frontend rate over compressed day number `day`. */
function dayMean(day: number, week?: WeekRhythm): number {
  let sum = 0;
  const n = 360;
  for (let i = 0; i < n; i++) sum += demoRate(12, DAY_MIN, day * DAY_MS + (i + 0.5) * (DAY_MS / n), week);
  return sum / n;
}

describe('the compressed week of the demo load generator', () => {
  const flat: WeekRhythm = { ...DEFAULT_WEEK, dayVariation: 0, growthPerWeek: 0 };

  it('gives each weekday its level, Monday first, with a mean of the stated rate over the week', () => {
    const means = Array.from({ length: 7 }, (_, d) => dayMean(MONDAY + d, flat));
    const ratios = means.map((m) => m / 12);
    // The last twelfth of a day moves to the next day's level: compare each day's mean with the specified levels so blended.
    const level = (d: number) => flat.weekdays[d % 7] as number;
    ratios.forEach((r, d) => {
      const expected = (11 / 12) * level(d) + (1 / 24) * (level(d) + level(d + 1));
      // Blending is linear in time against a daily sine that is low then: within 1 % of the time-weighted mix.
      expect(r).toBeCloseTo(expected, 1);
    });
    // Saturday and Sunday are the quiet days; Monday to Thursday the busiest.
    expect(means[5]).toBeLessThan(0.8 * (means[0] as number));
    expect(means[6]).toBeLessThan(0.8 * (means[3] as number));
    expect(Math.abs(means.reduce((a, b) => a + b, 0) / 7 - 12)).toBeLessThan(0.05);
  });

  it('keeps a day busy (or quiet) all day, by its own level drawn per day', () => {
    const week = { ...DEFAULT_WEEK, growthPerWeek: 0 };
    const logs: number[] = [];
    for (let w = 0; w < 60; w++) {
      const day = MONDAY + 7 * w + 2;
      // The ratio to the daily rhythm is one number from the start of the day to 11/12 of it.
      const at = [0.01, 0.3, 0.6, 0.9].map((f) => weekFactor(week, DAY_MIN, day * DAY_MS + f * DAY_MS));
      for (const x of at) expect(x).toBeCloseTo(at[0] as number, 12);
      logs.push(Math.log((at[0] as number) / (week.weekdays[2] as number)));
    }
    const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
    const sd = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (logs.length - 1));
    // Wednesdays differ from each other by about the stated 8 % (log standard deviation), around the weekday's level.
    expect(sd).toBeGreaterThan(0.05);
    expect(sd).toBeLessThan(0.11);
    expect(Math.abs(mean)).toBeLessThan(0.04);
    // The same day always gets the same level (a function of the clock alone).
    expect(weekFactor(week, DAY_MIN, (MONDAY + 9) * DAY_MS + 1)).toBe(weekFactor(week, DAY_MIN, (MONDAY + 9) * DAY_MS + 1));
  });

  it('grows by growthPerWeek from since, compounding, and stops after growthWeeks', () => {
    const since = MONDAY * DAY_MS;
    const week = { ...flat, growthPerWeek: 0.01, growthWeeks: 8, since };
    const at = (weeks: number) => weekFactor(week, DAY_MIN, since + weeks * 7 * DAY_MS + DAY_MS / 2);
    expect(at(1) / at(0)).toBeCloseTo(1.01, 6);
    expect(at(4) / at(0)).toBeCloseTo(1.01 ** 4, 6);
    // Monday's level (1.1 of a mean of 1) times 8 weeks of growth, and no more later.
    expect(at(12)).toBeCloseTo(1.1 * 1.01 ** 8, 6);
    expect(at(20)).toBeCloseTo(at(12), 12);
    // Before since: no growth (Monday's level alone).
    expect(weekFactor(week, DAY_MIN, since - 7 * DAY_MS + DAY_MS / 2)).toBeCloseTo(1.1, 12);
  });

  it('is the daily rhythm alone without a week (the default of the load generator)', () => {
    for (const t of [0, 1e12, 1.7e12 + 12_345]) expect(demoRate(12, DAY_MIN, t)).toBe(dailyRate(12, DAY_MIN, t));
  });

  it('drives the load generator: a Saturday sends at a lower rate than a Monday at the same time of day', async () => {
    const rateOn = async (day: number, week?: WeekRhythm) => {
      const noon = day * DAY_MS + DAY_MS / 2;
      const start = Date.now();
      // No addresses: the generator only paces (nothing is sent), and reports the rate it paces at.
      const load = startLoad({ services: [...SHOP], urls: {}, rps: 12, dayMinutes: DAY_MIN, surges: () => [], week, clock: () => noon + Date.now() - start });
      await new Promise((r) => setTimeout(r, 300));
      const { currentRps } = load.stats();
      load.stop();
      return currentRps;
    };
    const monday = await rateOn(MONDAY, flat);
    const saturday = await rateOn(MONDAY + 5, flat);
    expect(monday).toBeCloseTo(12 * 1.6 * 1.1, 0);
    expect(saturday / monday).toBeCloseTo(0.75 / 1.1, 2);
    // Without a week, both days are the same.
    expect(await rateOn(MONDAY + 5)).toBeCloseTo(await rateOn(MONDAY), 1);
  });

  it('is on in make demo (--week on, its growth from now) and off with --week off', () => {
    const before = Date.now();
    const on = weekOption('on');
    expect(on).toMatchObject({ ...DEFAULT_WEEK, since: expect.any(Number) });
    expect(on?.since).toBeGreaterThanOrEqual(before);
    expect(weekOption('off')).toBeUndefined();
    expect(() => weekOption('yes')).toThrow(/--week must be on or off/);
  });
});
