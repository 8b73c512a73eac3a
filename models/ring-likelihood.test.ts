import { describe, expect, it } from 'vitest';
import { AnomalyLikelihood } from './likelihood.ts';
import { RingLikelihood } from './ring-likelihood.ts';
import { createRng } from './rng.ts';

const CONFIG = { shortWindow: 3, historyWindow: 120, minHistory: 40, minStd: 0.05, decades: 8 };

/** A raw score stream with occasional spikes and a non-finite value, replayable from the seed. */
function stream(n: number, seed: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, i) => (i === 77 ? Number.NaN : rng.next() < 0.03 ? 2 + rng.next() : rng.next() * 0.3));
}

describe('RingLikelihood', () => {
  it('judges a stream as AnomalyLikelihood does, through several laps of its history', () => {
    const ref = new AnomalyLikelihood(CONFIG);
    const ring = new RingLikelihood(CONFIG);
    for (const raw of stream(600, 5)) {
      const want = ref.update(raw);
      ring.update(raw);
      expect(ring.score).toBeCloseTo(want.score, 9);
      expect(ring.likelihood).toBeCloseTo(want.likelihood, 9);
    }
  });

  it('reports nothing before minHistory rows, then flags a spike', () => {
    const l = new RingLikelihood(CONFIG);
    for (const raw of stream(CONFIG.minHistory, 1)) {
      l.update(raw);
      expect(l.score).toBe(0);
    }
    for (const raw of stream(100, 2)) l.update(raw * 0.1);
    l.update(5);
    expect(l.likelihood).toBeGreaterThan(0.9999);
  });

  it('resumes bit for bit from its JSON state, wherever its rings stand', () => {
    for (const cut of [10, 119, 121, 333]) {
      const a = new RingLikelihood(CONFIG);
      const xs = stream(500, cut);
      for (const raw of xs.slice(0, cut)) a.update(raw);
      const b = new RingLikelihood({}, JSON.parse(JSON.stringify(a.toJSON())));
      for (const raw of xs.slice(cut)) {
        a.update(raw);
        b.update(raw);
        expect([b.score, b.likelihood]).toEqual([a.score, a.likelihood]);
      }
      expect(b.toJSON()).toEqual(a.toJSON());
    }
  });
});
