import { describe, expect, it } from 'vitest';
import { createRng } from '../stats/index.ts';
import { TailCalibration } from './tail-calibration.ts';

/** |N(0,1)| draws with a spike of `spike` every `every` windows. */
function feed(t: TailCalibration, n: number, every: number, spike: number, seed = 1): void {
  const rng = createRng(seed);
  for (let k = 0; k < n; k++) {
    const u = Math.max(1e-12, rng.next());
    const v = rng.next();
    const g = Math.abs(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
    t.learn(0, every > 0 && k % every === 0 ? spike : g);
    t.tick();
  }
}

describe('TailCalibration', () => {
  it('leaves a deviation as it is when the feature never strayed that far, and never raises it', () => {
    const t = new TailCalibration(1);
    feed(t, 1500, 0, 0);
    expect(t.calibrate(0, 8)).toBe(8);
    expect(t.calibrate(0, 1.5)).toBe(1.5);
    expect(t.calibrate(0, 3)).toBeLessThanOrEqual(3);
    expect(t.calibrate(0, 3)).toBeGreaterThan(2.5);
  });

  it('scores routine spikes as routine: ten spreads every 50 windows (2%, recurrences only) scores under three spreads', () => {
    const t = new TailCalibration(1);
    feed(t, 1500, 50, 10);
    const z = t.calibrate(0, 10);
    expect(z).toBeGreaterThan(1.8);
    expect(z).toBeLessThan(3);
    // Beyond the spikes' size the tail is thin again.
    expect(t.calibrate(0, 40)).toBeGreaterThan(3.5);
  });

  it('one past excursion proves no routine', () => {
    const t = new TailCalibration(1);
    feed(t, 200, 0, 0);
    t.learn(0, 30);
    t.tick();
    expect(t.calibrate(0, 30)).toBeGreaterThan(4);
  });

  it('round-trips through its JSON form', () => {
    const t = new TailCalibration(2);
    feed(t, 300, 20, 12, 3);
    const u = new TailCalibration(2, JSON.parse(JSON.stringify(t.toJSON(2))));
    for (const z of [2.5, 5, 12, 30]) expect(u.calibrate(0, z)).toBeCloseTo(t.calibrate(0, z), 12);
  });
});
