import { describe, expect, it } from 'vitest';
import { AnomalyLikelihood } from './likelihood.ts';
import { createRng } from './rng.ts';

function warmed(seed = 1): AnomalyLikelihood {
  const rng = createRng(seed);
  const l = new AnomalyLikelihood({ shortWindow: 1, historyWindow: 500, minHistory: 50 });
  for (let i = 0; i < 500; i++) l.update(rng.next());
  return l;
}

describe('AnomalyLikelihood', () => {
  it('reports nothing before minHistory rows', () => {
    const l = new AnomalyLikelihood({ minHistory: 10 });
    for (let i = 0; i < 10; i++) expect(l.update(100).score).toBe(0);
    expect(l.update(100).likelihood).toBeGreaterThanOrEqual(0);
  });

  it('scores a typical raw value low and an extreme one near 1', () => {
    const l = warmed();
    const typical = l.update(0.5);
    expect(typical.likelihood).toBeLessThan(0.7);
    const extreme = warmed().update(5);
    expect(extreme.likelihood).toBeGreaterThan(0.999999);
    expect(extreme.score).toBeGreaterThan(typical.score);
  });

  it('is monotonic in the raw score and bounded to [0, 1]', () => {
    const scores = [0, 0.5, 1, 2, 10, 1e6].map((r) => warmed().update(r).score);
    for (let i = 1; i < scores.length; i++) expect(scores[i]).toBeGreaterThanOrEqual(scores[i - 1] as number);
    expect(scores.at(-1)).toBe(1);
  });

  it('averages over shortWindow rows, so one spike among zeros scores less than a sustained rise', () => {
    const rng = createRng(3);
    const mk = () => {
      const l = new AnomalyLikelihood({ shortWindow: 5, historyWindow: 500, minHistory: 50 });
      for (let i = 0; i < 500; i++) l.update(rng.next() * 0.2);
      return l;
    };
    const single = mk();
    single.update(1);
    const one = single.update(0).score;
    const sustained = mk();
    sustained.update(1);
    expect(sustained.update(1).score).toBeGreaterThan(one);
  });

  it('resumes identically from its JSON state', () => {
    const a = warmed(7);
    const b = new AnomalyLikelihood({}, JSON.parse(JSON.stringify(a.toJSON())));
    for (const r of [0.2, 3, 0.1, Number.NaN, 0.9]) expect(b.update(r)).toEqual(a.update(r));
  });
});
