import { describe, expect, it } from 'vitest';
import type { LikelihoodState } from '../likelihood/index.ts';
import { createRng } from '../stats/index.ts';
import { ArtimeDetector } from './artime-detector.ts';
import { UnivariateDetector } from './univariate-detector.ts';

const STEP = 300_000; // 5 minutes

/** A noisy daily pattern with a spike at row `spikeAt` (if given). */
function series(n: number, seed: number, spikeAt = -1): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, i) => {
    const base = 100 + 20 * Math.sin((2 * Math.PI * i) / 288) + 3 * (rng.next() - 0.5);
    return i === spikeAt ? base + 200 : base;
  });
}

function run(d: { update(t: number, v: number): number }, values: number[], from = 0): number[] {
  return values.map((v, i) => d.update((from + i) * STEP, v));
}

describe('UnivariateDetector', () => {
  it('scores a spike far above the usual rows, within [0, 1]', () => {
    const values = series(3000, 1, 2500);
    const scores = run(new UnivariateDetector(), values);
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    const normalMax = Math.max(...scores.slice(1500, 2490));
    expect(scores[2500]).toBeGreaterThan(0.5);
    expect(scores[2500]).toBeGreaterThan(2 * normalMax);
  });

  it('has no look-ahead: changing or appending later rows leaves earlier scores unchanged', () => {
    const values = series(2000, 2);
    const base = run(new UnivariateDetector(), values);
    const changed = values.slice();
    for (let i = 1500; i < 2000; i++) changed[i] = (changed[i] as number) * 3;
    const other = run(new UnivariateDetector(), [...changed, ...series(200, 9)]);
    expect(other.slice(0, 1500)).toEqual(base.slice(0, 1500));
    expect(other.slice(1500, 2000)).not.toEqual(base.slice(1500, 2000));
  });

  it('restores from a JSON checkpoint and then scores identically', () => {
    const values = series(2500, 3, 2200);
    const a = new UnivariateDetector();
    run(a, values.slice(0, 1200));
    const b = new UnivariateDetector({}, JSON.parse(JSON.stringify(a.toJSON())));
    const rest = values.slice(1200);
    const sa = run(a, rest, 1200);
    expect(run(b, rest, 1200)).toEqual(sa);
    expect(Math.max(...sa)).toBeGreaterThan(0.5);
  });

  it('scores NaN and Infinity as 0 without changing its state', () => {
    const values = series(1500, 4, 1400);
    const clean = new UnivariateDetector();
    const dirty = new UnivariateDetector();
    const cleanScores: number[] = [];
    const dirtyScores: number[] = [];
    for (const [i, v] of values.entries()) {
      cleanScores.push(clean.update(i * STEP, v));
      if (i % 97 === 0) {
        for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) expect(dirty.update(i * STEP, bad)).toBe(0);
        expect(dirty.update(Number.NaN, v)).toBe(0);
      }
      dirtyScores.push(dirty.update(i * STEP, v));
    }
    expect(dirtyScores).toEqual(cleanScores);
    expect(JSON.stringify(dirty.toJSON())).toBe(JSON.stringify(clean.toJSON()));
  });

  it('emits only 0 or alarm scores, and holds quiet for a fraction of the history after an alarm', () => {
    const values = series(4000, 5);
    for (const at of [1000, 3000]) for (let i = at; i < at + 40; i++) values[i] = (values[i] as number) + 300;
    const d = new UnivariateDetector({ refractoryFraction: 0.05 });
    const scores = run(d, values);
    expect(scores.every((s) => s === 0 || s >= 0.25)).toBe(true);
    const firstAlarm = (from: number) => scores.findIndex((s, i) => i >= from && s > 0);
    const a = firstAlarm(2990);
    expect(a).toBeGreaterThanOrEqual(3000);
    // The hold after an alarm at row ~3000 lasts >= 5 % of 3000 rows: nothing for 150 rows.
    expect(scores.slice(a + 1, a + 150).every((s) => s === 0)).toBe(true);
  });

  it('restores a state saved without the newer settings', () => {
    const values = series(1500, 6);
    const a = new UnivariateDetector();
    run(a, values.slice(0, 800));
    const old = JSON.parse(JSON.stringify(a.toJSON())) as Record<string, unknown> & { config: Record<string, unknown> };
    for (const key of ['refractoryFraction', 'sparse', 'holdGrowth', 'holdSpanFraction', 'reportLevel', 'levelShift', 'output']) delete old.config[key];
    delete old.rows;
    delete old.levelShift;
    delete old.alarmRows;
    const b = new UnivariateDetector({}, old as never);
    expect(run(b, values.slice(800), 800).every((s) => Number.isFinite(s))).toBe(true);
  });

  it('keeps scoring a steady shifted level that the spike features soon get used to', () => {
    const rng = createRng(7);
    const values = Array.from({ length: 3300 }, () => 100 + 20 * (rng.next() - 0.5));
    for (let i = 3000; i < 3020; i++) values[i] = 30 + 2 * (rng.next() - 0.5);
    const raw = { sparse: false, refractoryRows: 0, output: 'score' } as const;
    const meanScore = (d: UnivariateDetector) => {
      const s = run(d, values).slice(3006, 3016);
      return s.reduce((a, b) => a + b, 0) / s.length;
    };
    const withShift = meanScore(new UnivariateDetector(raw));
    const without = meanScore(new UnivariateDetector({ ...raw, levelShift: { rows: 0, sigmas: 6 } }));
    expect(withShift).toBeGreaterThan(0.2);
    expect(withShift).toBeGreaterThan(1.5 * without);
  });

  it('emits its confidence at reported alarms: 1 beyond the recent range, the reach across it inside', () => {
    const values = series(5000, 8, 2500);
    // A second spike, 1500 rows later, reaching 70 % of the way from the
    // span's minimum to the first spike: an alarm, but within recent swings.
    const lo = Math.min(...values.slice(0, 4000));
    values[4000] = lo + 0.7 * (values[2500] as number) - 0.7 * lo;
    const scores = run(new UnivariateDetector(), values);
    expect(scores[2500]).toBe(1);
    expect(scores[4000]).toBeCloseTo(0.7, 2);
    expect(scores.filter((s) => s > 0 && s < 1)).toEqual([scores[4000]]);
    // `output: "alarm"` reports the same two alarms, both at 1.
    const alarms = run(new UnivariateDetector({ output: 'alarm' }), values);
    expect(alarms[2500]).toBe(1);
    expect(alarms[4000]).toBe(1);
    expect(alarms.every((s) => s === 0 || s === 1)).toBe(true);
  });

  it('emits 1 at reported alarms with output "alarm", or the score with output "score", and nothing below the report level', () => {
    const values = series(3000, 8, 2500);
    const alarms = run(new UnivariateDetector({ output: 'alarm' }), values);
    expect(alarms[2500]).toBe(1);
    expect(alarms.every((s) => s === 0 || s === 1)).toBe(true);
    const scores = run(new UnivariateDetector({ output: 'score', reportLevel: 0.6 }), values);
    expect(scores[2500]).toBeGreaterThanOrEqual(0.6);
    expect(scores.every((s) => s === 0 || (s >= 0.6 && s <= 1))).toBe(true);
  });

  it('lengthens the hold while alarms keep coming', () => {
    const rng = createRng(9);
    const values = Array.from({ length: 6000 }, () => 100 + 20 * (rng.next() - 0.5));
    for (let i = 3000; i < 6000; i += 120) values[i] = 400;
    // Equal spikes are echoes under the precedent rule: it is off here.
    const count = (holdGrowth: number) =>
      run(new UnivariateDetector({ holdGrowth, refractoryRows: 50, precedent: { rows: 0 } }), values).filter((s) => s > 0).length;
    expect(count(0)).toBe(25);
    expect(count(1)).toBeLessThan(20);
  });

  it('alarms on changes of shape through its shape feature, a shape alarm alone holding only refractoryRows', () => {
    // Two 30-row bumps 80 rows apart, the second downwards.
    const values = series(3000, 3);
    for (let i = 2500; i < 2530; i++) values[i] = (values[i] as number) + 60;
    for (let i = 2580; i < 2610; i++) values[i] = (values[i] as number) - 60;
    const shapeRows = run(new ArtimeDetector(), values).flatMap((s, i) => (s >= 0.65 && i > 2000 ? [i] : []));
    expect(shapeRows).toEqual([2501, 2581]);
    // Blind statistical features: only the shape feature alarms; its hold of
    // 50 rows lets the second bump through, though 5 % of the history is 125.
    const blind = {
      features: { short: false, long: false, season: false, range: false },
      levelShift: { rows: 0, sigmas: 6 },
      refractoryRows: 50,
      refractoryFraction: 0.05,
    };
    const alarmRows = (d: UnivariateDetector) => run(d, values).flatMap((s, i) => (s > 0 ? [i] : []));
    expect(alarmRows(new UnivariateDetector(blind))).toEqual([2501, 2581]);
    expect(alarmRows(new UnivariateDetector({ ...blind, shape: { level: 0, artime: {} } }))).toEqual([]);
    // A statistical alarm at the first bump holds 125 rows: the shape alarm of the second is part of the same incident.
    // The second bump falls below every row of the span after the series came back, but the record rule reports only
    // new extremes on the side of the alarm that started the hold.
    expect(alarmRows(new UnivariateDetector({ refractoryRows: 50, refractoryFraction: 0.05 }))).toEqual([2500]);
  });

  it('restores a state saved before the shape feature and the rarity rule existed without them', () => {
    const values = series(2500, 10, 2200);
    const a = new UnivariateDetector({ shape: { level: 0, artime: {} }, rarity: { rows: 4096, share: 0 } });
    run(a, values.slice(0, 1200));
    const old = JSON.parse(JSON.stringify(a.toJSON())) as Record<string, unknown> & { config: Record<string, unknown> };
    delete old.config.shape;
    delete old.config.rarity;
    const b = new UnivariateDetector({}, old as never);
    expect(b.toJSON().config.shape.level).toBe(0);
    expect(b.toJSON().config.rarity.share).toBe(0);
    expect(run(b, values.slice(1200), 1200)).toEqual(run(a, values.slice(1200), 1200));
  });

  it('rarity rule: does not report a rise that stays low in the recent range, but does report a fall', () => {
    const values = series(3200, 11);
    for (let i = 1400; i < 1405; i++) values[i] = (values[i] as number) + 1000;
    values[2500] = (values[2500] as number) + 150;
    values[2900] = (values[2900] as number) - 150;
    const alarmRows = (rarity: { rows: number; share: number }) =>
      run(new UnivariateDetector({ shape: { level: 0, artime: {} }, refractoryRows: 50, rarity }), values).flatMap((s, i) => (s > 0 && i > 2000 ? [i] : []));
    // The rise of 150 is under 40 % of the ~1100-wide range of the last 4096 rows; the fall leaves it.
    const plain = alarmRows({ rows: 4096, share: 0 });
    const rare = alarmRows({ rows: 4096, share: 0.4 });
    expect(plain).toContain(2500);
    expect(plain).toContain(2900);
    expect(rare).not.toContain(2500);
    expect(rare).toContain(2900);
    // Once the big spike has left the rarity span, the rise is reported again.
    expect(alarmRows({ rows: 800, share: 0.4 })).toContain(2500);
  });

  it('rarity rule: by default remembers a swing of more than 4096 rows ago', () => {
    const values = series(7000, 11);
    for (let i = 1400; i < 1405; i++) values[i] = (values[i] as number) + 1000;
    values[6000] = (values[6000] as number) + 150;
    const alarmRows = (rarity?: { rows: number; share: number }) =>
      run(new UnivariateDetector({ shape: { level: 0, artime: {} }, refractoryRows: 50, ...(rarity ? { rarity } : {}) }), values).flatMap((s, i) =>
        s > 0 && i > 5000 ? [i] : [],
      );
    // 4600 rows after the big spike, a 4096-row span has forgotten it; the default 16384-row span has not.
    expect(alarmRows({ rows: 4096, share: 0.4 })).toContain(6000);
    expect(alarmRows()).not.toContain(6000);
  });

  it('precedent rule: does not report a spike that a recent reported alarm matched, but reports a larger one and one after the span', () => {
    const values = series(4000, 12);
    values[2500] = (values[2500] as number) + 200;
    values[2700] = (values[2700] as number) + 150;
    values[2900] = (values[2900] as number) + 300;
    values[3700] = (values[3700] as number) + 200;
    const alarmRows = (precedent: { rows: number }) =>
      run(new UnivariateDetector({ shape: { level: 0, artime: {} }, rarity: { rows: 4096, share: 0 }, precedent }), values).flatMap((s, i) =>
        s > 0 && i > 2000 ? [i] : [],
      );
    expect(alarmRows({ rows: 0 })).toEqual([2500, 2700, 2900, 3700]);
    // 2700 echoes 2500; 2900 goes further; 3700 is 800 rows after the last alarm that went as far.
    expect(alarmRows({ rows: 500 })).toEqual([2500, 2900, 3700]);
  });

  it('precedent rule: a restored state keeps its precedents, and a state saved before the rule runs without it', () => {
    const values = series(3000, 13);
    values[2500] = (values[2500] as number) + 200;
    values[2700] = (values[2700] as number) + 150;
    const a = new UnivariateDetector();
    run(a, values.slice(0, 2600));
    const b = new UnivariateDetector({}, JSON.parse(JSON.stringify(a.toJSON())));
    expect(b.toJSON().precedents).toHaveLength(1);
    const rest = run(a, values.slice(2600), 2600);
    expect(run(b, values.slice(2600), 2600)).toEqual(rest);
    expect(rest[100]).toBe(0);
    const old = JSON.parse(JSON.stringify(new UnivariateDetector().toJSON())) as Record<string, unknown> & { config: Record<string, unknown> };
    delete old.config.precedent;
    delete old.precedents;
    const c = new UnivariateDetector({}, old as never);
    expect(c.toJSON().config.precedent.rows).toBe(0);
    expect(c.toJSON().precedents).toEqual([]);
  });

  it('record rule: reports a deeper dip after a recovery within the hold, but not a dip that deepens without one nor a rise', () => {
    const values = series(3000, 15);
    // Dips placed where the daily pattern crosses its middle, so the rows between them lie inside the interquartile range.
    for (let i = 2570; i < 2580; i++) values[i] = (values[i] as number) - 150;
    for (let i = 2610; i < 2615; i++) values[i] = (values[i] as number) - 200;
    for (let i = 2800; i < 2830; i++) values[i] = (values[i] as number) - (i < 2815 ? 150 : 230);
    // A rise to a new maximum after the recovery from the dip of 2800, on the other side of the median.
    for (let i = 2880; i < 2885; i++) values[i] = (values[i] as number) + 40;
    const alarmRows = (record: { enabled: boolean; margin: number }) =>
      run(new UnivariateDetector({ shape: { level: 0, artime: {} }, record }), values).flatMap((s, i) => (s > 0 && i > 2000 ? [i] : []));
    expect(alarmRows({ enabled: false, margin: 0 })).toEqual([2570, 2800]);
    // 2610 goes beyond the first dip after the series came back; 2815 deepens the dip of 2800 without a recovery;
    // 2880 is a new maximum, but the hold is that of a dip.
    expect(alarmRows({ enabled: true, margin: 0 })).toEqual([2570, 2610, 2800]);
  });

  it('record rule: a state restored mid-hold keeps whether the series recovered, and a state saved before the rule runs without it', () => {
    const values = series(3000, 15);
    for (let i = 2570; i < 2580; i++) values[i] = (values[i] as number) - 150;
    for (let i = 2610; i < 2615; i++) values[i] = (values[i] as number) - 200;
    const a = new UnivariateDetector({ shape: { level: 0, artime: {} } });
    run(a, values.slice(0, 2600));
    const saved = JSON.parse(JSON.stringify(a.toJSON()));
    expect(saved.recovered).toBe(true);
    expect(saved.holdRise).toBe(false);
    const b = new UnivariateDetector({}, saved);
    const rest = run(a, values.slice(2600), 2600);
    expect(run(b, values.slice(2600), 2600)).toEqual(rest);
    expect(rest[10]).toBe(1);
    delete saved.config.record;
    delete saved.recovered;
    delete saved.holdRise;
    const c = new UnivariateDetector({}, saved);
    expect(c.toJSON().config.record.enabled).toBe(false);
    expect(run(c, values.slice(2600), 2600)[10]).toBe(0);
  });

  it('keeps no history for the likelihoods of disabled features, and bounds the shape feature at 1024 categories', () => {
    const d = new UnivariateDetector({ features: { short: false, long: true, season: true, range: false } });
    run(d, series(600, 14));
    const state = d.toJSON();
    const rings = state.likelihoods.map((l) => l as LikelihoodState);
    expect(rings.map((l) => l.buffer.length)).toEqual([2, 2001, 2001, 2]);
    expect(rings.map((l) => l.history[1])).toEqual([0, 600, 600, 0]);
    expect(state.shape?.art.maxCategories).toBe(1024);
  });
});
