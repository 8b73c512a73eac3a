import { describe, expect, it } from 'vitest';
import { createRng } from '../stats/index.ts';
import { normalTailDecades } from './gaussian-tail.ts';
import { AnomalyLikelihood, type LegacyLikelihoodState, type LikelihoodConfig } from './likelihood.ts';

function warmed(seed = 1): AnomalyLikelihood {
  const rng = createRng(seed);
  const l = new AnomalyLikelihood({ shortWindow: 1, historyWindow: 500, minHistory: 50 });
  for (let i = 0; i < 500; i++) l.update(rng.next());
  return l;
}

const CONFIG = { shortWindow: 3, historyWindow: 120, minHistory: 40, minStd: 0.05, decades: 8 };

/** A raw score stream with occasional spikes and a non-finite value, replayable from the seed. */
function stream(n: number, seed: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, i) => (i === 77 ? Number.NaN : rng.next() < 0.03 ? 2 + rng.next() : rng.next() * 0.3));
}

/** The definition, computed from plain arrays on every row: the oracle for the ring layout. */
function reference(cfg: LikelihoodConfig) {
  const raws: number[] = [];
  const avgs: number[] = [];
  return (raw: number): { score: number; likelihood: number } => {
    raws.push(Number.isFinite(raw) ? raw : 0);
    const short = raws.slice(-cfg.shortWindow);
    const avg = short.reduce((a, b) => a + b, 0) / short.length;
    const hist = avgs.slice(-cfg.historyWindow);
    avgs.push(avg);
    if (hist.length < cfg.minHistory) return { score: 0, likelihood: 0 };
    const mean = hist.reduce((a, b) => a + b, 0) / hist.length;
    const variance = Math.max(hist.reduce((a, b) => a + b * b, 0) / hist.length - mean * mean, 0);
    const decades = normalTailDecades((avg - mean) / Math.max(Math.sqrt(variance), cfg.minStd));
    return { score: Math.min(decades / cfg.decades, 1), likelihood: 1 - 10 ** -decades };
  };
}

describe('AnomalyLikelihood', () => {
  it('judges a stream as its definition does, through several laps of its history', () => {
    const ref = reference(CONFIG);
    const l = new AnomalyLikelihood(CONFIG);
    for (const raw of stream(600, 5)) {
      const want = ref(raw);
      expect(l.update(raw)).toBe(l.score);
      expect(l.score).toBeCloseTo(want.score, 9);
      expect(l.likelihood).toBeCloseTo(want.likelihood, 9);
    }
  });

  it('reports nothing before minHistory rows, then flags a spike', () => {
    const l = new AnomalyLikelihood(CONFIG);
    for (const raw of stream(CONFIG.minHistory, 1)) expect(l.update(raw)).toBe(0);
    for (const raw of stream(100, 2)) l.update(raw * 0.1);
    l.update(5);
    expect(l.likelihood).toBeGreaterThan(0.9999);
  });

  it('scores a typical raw value low and an extreme one near 1', () => {
    const l = warmed();
    l.update(0.5);
    const typical = { likelihood: l.likelihood, score: l.score };
    expect(typical.likelihood).toBeLessThan(0.7);
    const extreme = warmed();
    extreme.update(5);
    expect(extreme.likelihood).toBeGreaterThan(0.999999);
    expect(extreme.score).toBeGreaterThan(typical.score);
  });

  it('is monotonic in the raw score and bounded to [0, 1]', () => {
    const scores = [0, 0.5, 1, 2, 10, 1e6].map((r) => warmed().update(r));
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
    const one = single.update(0);
    const sustained = mk();
    sustained.update(1);
    expect(sustained.update(1)).toBeGreaterThan(one);
  });

  it('resumes bit for bit from its JSON state, wherever its rings stand', () => {
    for (const cut of [10, 119, 121, 333]) {
      const a = new AnomalyLikelihood(CONFIG);
      const xs = stream(500, cut);
      for (const raw of xs.slice(0, cut)) a.update(raw);
      const b = new AnomalyLikelihood({}, JSON.parse(JSON.stringify(a.toJSON())));
      for (const raw of xs.slice(cut)) {
        a.update(raw);
        b.update(raw);
        expect([b.score, b.likelihood]).toEqual([a.score, a.likelihood]);
      }
      expect(b.toJSON()).toEqual(a.toJSON());
    }
  });

  it('restores a state saved as three rings of values and judges on as the definition does', () => {
    const xs = stream(300, 9);
    const ref = reference(CONFIG);
    const raws = xs.slice(0, 200).map((x) => (Number.isFinite(x) ? x : 0));
    for (const x of xs.slice(0, 200)) ref(x);
    // The averages the old layout kept: the short-term mean after each row.
    const avgs = raws.map((_, i) => {
      const s = raws.slice(Math.max(0, i + 1 - CONFIG.shortWindow), i + 1);
      return s.reduce((a, b) => a + b, 0) / s.length;
    });
    const ring = (size: number, values: number[]) => ({ size, values: values.slice(-size) });
    const legacy: LegacyLikelihoodState = {
      config: CONFIG,
      short: ring(CONFIG.shortWindow, raws),
      history: ring(CONFIG.historyWindow, avgs),
      historySq: ring(
        CONFIG.historyWindow,
        avgs.map((a) => a * a),
      ),
    };
    const l = new AnomalyLikelihood({}, legacy);
    for (const x of xs.slice(200)) {
      const want = ref(x);
      l.update(x);
      expect(l.score).toBeCloseTo(want.score, 9);
      expect(l.likelihood).toBeCloseTo(want.likelihood, 9);
    }
  });

  it('keeps its history while told not to learn, so a sustained high score stays improbable', () => {
    const quiet = () => {
      const l = new AnomalyLikelihood({ shortWindow: 1, historyWindow: 500, minHistory: 50 });
      const r = createRng(3);
      for (let i = 0; i < 300; i++) l.update(0.2 * r.next());
      return l;
    };
    const frozen = quiet();
    const learning = quiet();
    const rng = createRng(4);
    for (let i = 0; i < 400; i++) {
      const raw = 0.95 + 0.05 * rng.next();
      frozen.update(raw, false);
      learning.update(raw);
    }
    expect(frozen.score).toBeGreaterThan(0.9);
    // The learning one has taken the fault in as its history: the same raw score is no longer improbable.
    expect(learning.score).toBeLessThan(0.5);
    expect(frozen.toJSON().history).toEqual(quiet().toJSON().history);
  });

  it('adds a value scored without learning once learnLast() says so, and only once', () => {
    const a = new AnomalyLikelihood(CONFIG);
    const b = new AnomalyLikelihood(CONFIG);
    for (const raw of stream(200, 6)) {
      a.update(raw);
      b.update(raw, false);
      b.learnLast();
      b.learnLast();
    }
    expect(b.toJSON()).toEqual(a.toJSON());
  });
});
