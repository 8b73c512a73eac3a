import { describe, expect, it } from 'vitest';
import { createRng } from '../stats/index.ts';
import { ArtimeDetector, artimeSpans, DEFAULT_ARTIME } from './artime-detector.ts';
import { DualVigilanceArt } from './artime-dvfa.ts';
import { haar, Levelizer, SpikeDownsampler } from './artime-features.ts';

const STEP = 300_000; // 5 minutes

/** A noisy daily pattern (288 rows a day) with a 30-row level shift from row `shiftAt` (if given). */
function series(n: number, seed: number, shiftAt = -1): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, i) => {
    const base = 100 + 20 * Math.sin((2 * Math.PI * i) / 288) + 3 * (rng.next() - 0.5);
    return shiftAt >= 0 && i >= shiftAt && i < shiftAt + 30 ? base + 60 : base;
  });
}

function run(d: ArtimeDetector, values: readonly number[], from = 0): number[] {
  return values.map((v, i) => d.update((from + i) * STEP, v));
}

function alarms(scores: readonly number[]): string[] {
  return scores.flatMap((s, i) => (s > 0 ? [`${i}:${s.toFixed(3)}`] : []));
}

describe('ARTime parts', () => {
  it('DVFA: learns inside the upper vigilance, founds a category between the two, a cluster below the lower', () => {
    const art = new DualVigilanceArt(2);
    expect(art.present([0.5, 0.5], 0.5, 0.9).newCluster).toBe(true);
    expect(art.present([0.5, 0.5], 0.5, 0.9)).toEqual({ match: 1, energy: 1, newCluster: false });
    // (1.95 / 2)^3 = 0.93 >= 0.9: the category learns, none is founded.
    expect(art.present([0.55, 0.5], 0.5, 0.9).newCluster).toBe(false);
    expect(art.size).toBe(1);
    // (1.85 / 1.95)^3 = 0.85 in [0.5, 0.9): a new category, same cluster.
    expect(art.present([0.65, 0.5], 0.5, 0.9).newCluster).toBe(false);
    expect(art.size).toBe(2);
    // Leaving the range of the last dimension costs energy: match = features^3 * energy^2.
    const far = art.present([0.5, 1], 0.5, 0.9);
    expect(far.newCluster).toBe(true);
    expect(far.energy).toBeLessThan(0.6);
  });

  it('Haar transform and downsampler keep spikes', () => {
    expect(haar([1, 1, 1, 1]).map((x) => +x.toFixed(9))).toEqual([2, 0, 0, 0]);
    const ds = new SpikeDownsampler(4);
    expect([10, 10, 10, 10].map((x) => ds.push(x))).toEqual([undefined, undefined, undefined, 10]);
    expect([10, 30, 10, 10].map((x) => ds.push(x))[3]).toBe(30);
    expect([10, 10.5, 10, 10].map((x) => ds.push(x))[3]).toBeCloseTo(10.125, 10);
  });

  it('levelizer snaps to the median level and re-maps its counts when the scale widens', () => {
    const lev = new Levelizer(80, 0.075, 0, 100);
    for (let k = 0; k < 9; k++) lev.apply(50);
    expect(lev.apply(53)).toBe(0.5);
    expect(lev.apply(90)).toBe(0.9);
    lev.rescale(0, 200);
    expect(lev.apply(53)).toBe(0.25);
    expect(lev.apply(100)).toBe(0.5);
  });
});

describe('ArtimeDetector', () => {
  it('derives chunk and learning span from learningRows', () => {
    expect(artimeSpans(DEFAULT_ARTIME)).toEqual({ step: 2, trend: 150 });
    expect(artimeSpans({ ...DEFAULT_ARTIME, learningRows: 750 })).toEqual({ step: 7, trend: 107 });
  });

  it('scores 0 while learning and alarms at full confidence on a never-seen level shift', () => {
    const scores = run(new ArtimeDetector(), series(4000, 1, 3000));
    expect(scores.slice(0, 300).every((s) => s === 0)).toBe(true);
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    expect(Math.max(...scores.slice(3000, 3010))).toBe(1);
    // Only the level shift is new in the last third: at most one other alarm there.
    expect(scores.slice(2700, 4000).filter((s) => s > 0).length).toBeLessThanOrEqual(2);
  });

  it('replays a recorded fixture exactly', () => {
    // Recorded from this implementation; a change here is a change of behaviour.
    expect(alarms(run(new ArtimeDetector(), series(4000, 1, 3000)))).toEqual([
      '387:0.044',
      '395:0.560',
      '441:0.333',
      '445:0.487',
      '497:0.481',
      '657:0.166',
      '985:0.376',
      '1521:0.460',
      '2387:0.429',
      '3001:1.000',
      '3973:0.439',
    ]);
  });

  it('has no look-ahead: changing or appending later rows leaves earlier scores unchanged', () => {
    const values = series(3000, 2);
    const base = run(new ArtimeDetector(), values);
    const changed = values.map((v, i) => (i >= 2000 ? v * 3 : v));
    const other = run(new ArtimeDetector(), [...changed, ...series(500, 9)]);
    expect(other.slice(0, 2000)).toEqual(base.slice(0, 2000));
    expect(other.slice(2000, 3000)).not.toEqual(base.slice(2000, 3000));
  });

  it('is deterministic', () => {
    const values = series(3000, 4, 2500);
    expect(run(new ArtimeDetector(), values)).toEqual(run(new ArtimeDetector(), values));
  });

  it('restores from a JSON checkpoint (while learning, mid-chunk, after learning) and then scores identically', () => {
    const values = series(4000, 3, 3500);
    const whole = run(new ArtimeDetector(), values);
    for (const cut of [1, 151, 299, 300, 301, 1201, 3500]) {
      const a = new ArtimeDetector();
      run(a, values.slice(0, cut));
      const b = new ArtimeDetector({}, JSON.parse(JSON.stringify(a.toJSON())));
      expect(run(b, values.slice(cut), cut)).toEqual(whole.slice(cut));
    }
    expect(Math.max(...whole.slice(3500))).toBeGreaterThan(0.5);
  });

  it('scores non-finite values 0 without changing what follows', () => {
    const values = series(2500, 5, 2200);
    const clean = run(new ArtimeDetector(), values);
    for (const at of [100, 1000]) {
      const d = new ArtimeDetector();
      const dirty: number[] = [];
      for (const [i, v] of values.entries()) {
        if (i === at) expect([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY].map((x) => d.update(i * STEP, x))).toEqual([0, 0, 0]);
        dirty.push(d.update(i * STEP, v));
      }
      expect(dirty).toEqual(clean);
      expect(d.update(Number.NaN, 1)).toBe(0);
    }
  });

  it('copes with a flat learning phase followed by movement, with and without a growing range', () => {
    for (const growRange of [true, false]) {
      const values = Array.from({ length: 1500 }, (_, i) => (i < 800 ? 5 : 5 + (i % 50)));
      const scores = run(new ArtimeDetector({ growRange }), values);
      expect(scores.every((s) => Number.isFinite(s) && s >= 0 && s <= 1)).toBe(true);
      expect(Math.max(...scores.slice(800, 900))).toBeGreaterThan(0);
    }
  });
});
