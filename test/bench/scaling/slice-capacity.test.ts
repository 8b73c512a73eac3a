import { describe, expect, it } from 'vitest';
import { capacityFor } from '../../../infra/demo/load-generator.ts';
import { SHOP } from '../../../infra/demo/topology.ts';
import { offeredRate } from './scaling-sim.ts';
import { sliceCapacity } from './slice-capacity.ts';

/** The highest rate cart receives over a compressed day with a 4x surge at minute 40 of every 60 (the live bench's default; second by second). */
function peakCartRate(rps: number): number {
  const o = {
    service: 'cart',
    rps,
    dayMinutes: 60,
    surge: { service: 'cart', magnitude: 4, everyMinutes: 60, atMinute: 40, durationMinutes: 5 },
    missingSurgeEvery: 0,
  };
  let peak = 0;
  for (let t = 0; t < 60 * 60_000; t += 1_000) peak = Math.max(peak, offeredRate(o, t));
  return peak;
}

describe('sliceCapacity (bench-scaling --live)', () => {
  const rps = 12;
  const cart = capacityFor(SHOP, rps).cart as number;

  it('sizes sessions-db so that the surge on cart saturates cart, not its datastore', () => {
    const cap = sliceCapacity(rps, 'cart', cart, 6);
    const peak = peakCartRate(rps);
    // Every cart request makes one sessions-db call: the datastore receives cart's rate.
    expect(SHOP.find((s) => s.name === 'cart')?.routes.every((r) => r.calls.filter((c) => c.service === 'sessions-db').length === 1)).toBe(true);
    expect(peak).toBeGreaterThan(cap.cart as number);
    expect(Math.ceil(peak / ((cap.cart as number) * 0.8))).toBeLessThanOrEqual(6);
    expect((cap['sessions-db'] as number) * 0.8).toBeGreaterThan(peak);
    expect(cap['sessions-db']).toBeCloseTo(6 * cart, 6);
  });

  it('keeps the demo sizing of the other services', () => {
    const cap = sliceCapacity(rps, 'cart', cart, 6);
    const demo = capacityFor(SHOP, rps);
    for (const s of ['frontend', 'gateway', 'checkout', 'catalog', 'products-db']) expect(cap[s]).toBe(demo[s]);
  });

  it('the demo sizing alone would leave sessions-db the bottleneck (why the bench sizes it)', () => {
    expect((capacityFor(SHOP, rps)['sessions-db'] as number) * 0.8).toBeLessThan(peakCartRate(rps));
  });
});
