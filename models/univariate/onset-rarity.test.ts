import { describe, expect, it } from 'vitest';
import { normalTail } from '../likelihood/index.ts';
import { DEFAULT_PRIOR_ROWS, deviationOfRarity, OnsetRarity } from './onset-rarity.ts';

describe('OnsetRarity', () => {
  it('judges the first episode of a series by its deviation alone (the prior is its Gaussian tail)', () => {
    const r = new OnsetRarity();
    for (const d of [3, 5, 10, 40]) expect(deviationOfRarity(r.logRarity(d))).toBeCloseTo(d, 2);
    expect(r.logRarity(4)).toBeCloseTo(Math.log(2 * normalTail(4)), 6);
  });

  it('counts earlier episodes at least as severe: a routine severity scores low, a record keeps its deviation', () => {
    const r = new OnsetRarity();
    const before = r.logRarity(5);
    for (let k = 0; k < 20; k++) r.learn(5);
    // Twenty earlier episodes as severe: the expected count is 20 + W p(5), per W rows.
    expect(r.logRarity(5)).toBeCloseTo(Math.log((20 + DEFAULT_PRIOR_ROWS * 2 * normalTail(5)) / DEFAULT_PRIOR_ROWS), 6);
    expect(r.logRarity(5)).toBeGreaterThan(before);
    expect(deviationOfRarity(r.logRarity(5))).toBeLessThan(3.2);
    // Less severe episodes do not count against a more severe one.
    expect(deviationOfRarity(r.logRarity(8))).toBeCloseTo(8, 2);
    // Rarer the more severe, whatever the history.
    for (const d of [2, 3, 4, 5, 6, 7]) expect(r.logRarity(d + 1)).toBeLessThanOrEqual(r.logRarity(d));
  });

  it('stays finite for a deviation far beyond its bins and restores from its JSON state', () => {
    const r = new OnsetRarity(5000);
    r.learn(Number.POSITIVE_INFINITY);
    r.learn(1e9);
    r.learn(4);
    expect(r.logRarity(1e12)).toBeCloseTo(Math.log(2 / 5000), 6);
    const copy = new OnsetRarity(5000, JSON.parse(JSON.stringify(r.toJSON())));
    for (const d of [3, 4, 6, 1e9]) expect(copy.logRarity(d)).toBe(r.logRarity(d));
  });
});
