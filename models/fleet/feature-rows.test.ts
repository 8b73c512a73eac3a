import { describe, expect, it } from 'vitest';
import { FeatureRows, singleRow } from './feature-rows.ts';
import { FlatLine } from './flat-line.ts';
import { SeasonalScorer } from './seasonal-scorer.ts';

function row(rows: FeatureRows, i: number): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (let k = rows.from(i); k < rows.to(i); k++) out.push([rows.names[k] as string, rows.values[k] as number]);
  return out;
}

describe('FeatureRows', () => {
  it('keeps each window as a row in the order for...in reads its object, a value that is not a number as NaN', () => {
    const rows = new FeatureRows();
    expect(rows.add({ b: 2, a: 1.5 })).toBe(0);
    expect(rows.add({ c: Number.NaN, d: null as unknown as number, e: -3 })).toBe(1);
    expect(row(rows, 0)).toEqual([
      ['b', 2],
      ['a', 1.5],
    ]);
    expect(row(rows, 1)).toEqual([
      ['c', Number.NaN],
      ['d', Number.NaN],
      ['e', -3],
    ]);
    rows.clear();
    rows.add({ x: 7 });
    expect(rows.rows).toBe(1);
    expect(row(rows, 0)).toEqual([['x', 7]]);
  });

  it('grows past its first arrays (many rows, many features)', () => {
    const rows = new FeatureRows();
    const wide: Record<string, number> = {};
    for (let j = 0; j < 100; j++) wide[`f${j}`] = j;
    for (let i = 0; i < 200; i++) rows.add(i % 2 ? wide : { only: i });
    expect(rows.rows).toBe(200);
    expect(row(rows, 199)).toHaveLength(100);
    expect(row(rows, 199)[99]).toEqual(['f99', 99]);
    expect(row(rows, 198)).toEqual([['only', 198]]);
  });

  it('the models score a row exactly as they score the object (seasonal score, learning, flat line)', () => {
    const byObject = new SeasonalScorer();
    const byRow = new SeasonalScorer();
    const flatObject = new FlatLine(20);
    const flatRow = new FlatLine(20);
    const rows = new FeatureRows();
    for (let w = 0; w < 300; w++) {
      const t = Date.UTC(2026, 0, 5) + w * 10_000;
      // A latency jump at window 250, a gauge that freezes from window 200.
      const features = { request_rate: 100 + (w % 7), latency_p99_ms: w >= 250 ? 900 : 100 + (w % 5), 'metric:temp': w >= 200 ? 41.3 : 40 + (w % 13) / 7 };
      rows.clear();
      rows.add({ unrelated: 1 });
      const i = rows.add(features);
      const a = byObject.score(features, t);
      const b = byRow.scoreRow(rows, i, t);
      expect(b).toEqual(a);
      expect(flatRow.scoreRow(rows, i)).toEqual(flatObject.score(features));
      flatObject.learn();
      flatRow.learn();
      byObject.learn(features, t, a.score);
      byRow.learnRow(rows, i, t, b.score);
    }
    expect(byRow.toJSON()).toEqual(byObject.toJSON());
    expect(flatRow.toJSON()).toEqual(flatObject.toJSON());
    expect(row(singleRow({ q: 1 }), 0)).toEqual([['q', 1]]);
  });
});
