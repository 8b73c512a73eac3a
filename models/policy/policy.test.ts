import { describe, expect, it } from 'vitest';
import { createRng } from '../stats/index.ts';
import {
  type ArmRecord,
  type AutonomyRule,
  applyOutcome,
  betaCdf,
  betaQuantile,
  initialAutonomy,
  lowerBound,
  outcomeEffect,
  pinAutonomy,
  policyChoose,
  pooledPrior,
  posteriorOf,
  sampleBeta,
  signatureOf,
  stepAutonomy,
  thompsonChoose,
} from './index.ts';

const arm = (service: string, playbookId: string, successes: number, failures: number): ArmRecord => ({
  signature: `${service}|latency|p95`,
  service,
  playbookId,
  successes,
  failures,
});

describe('beta helpers', () => {
  it('sampleBeta has the right mean and is replayable', () => {
    const rng = createRng(1);
    const xs = Array.from({ length: 20_000 }, () => sampleBeta(3, 7, rng));
    expect(xs.reduce((a, b) => a + b, 0) / xs.length).toBeCloseTo(0.3, 2);
    const again = createRng(1);
    expect(sampleBeta(3, 7, again)).toBe(xs[0]);
    const small = Array.from({ length: 20_000 }, () => sampleBeta(0.5, 0.5, rng));
    expect(small.reduce((a, b) => a + b, 0) / small.length).toBeCloseTo(0.5, 1);
  });

  it('betaCdf and betaQuantile match closed forms', () => {
    expect(betaCdf(0.3, 1, 1)).toBeCloseTo(0.3, 9);
    expect(betaCdf(0.5, 2, 1)).toBeCloseTo(0.25, 9); // x^2
    expect(betaQuantile(0.1, 1, 1)).toBeCloseTo(0.1, 8);
    expect(betaQuantile(0.5, 5, 5)).toBeCloseTo(0.5, 8);
    expect(betaCdf(betaQuantile(0.05, 12, 3), 12, 3)).toBeCloseTo(0.05, 8);
  });
});

describe('posteriors', () => {
  it('maps outcomes: resolved success; not_resolved, made_worse, undone failure; skipped ignored', () => {
    expect(outcomeEffect('resolved')).toBe('success');
    for (const o of ['not_resolved', 'made_worse', 'undone']) expect(outcomeEffect(o)).toBe('failure');
    expect(outcomeEffect('skipped')).toBe('ignored');
    expect(outcomeEffect('recovered_before_action')).toBe('ignored');
    const a = arm('s', 'p', 0, 0);
    expect(applyOutcome(applyOutcome(applyOutcome(a, 'resolved'), 'undone'), 'skipped')).toMatchObject({ successes: 1, failures: 1 });
  });

  it('signature uses the evidence with the largest absolute deviation', () => {
    const ev = [
      { feature: 'p95', deviation: 3 },
      { feature: 'error_rate', deviation: -7 },
    ];
    expect(signatureOf('checkout', 'errors', ev)).toBe('checkout|errors|error_rate');
    expect(signatureOf('checkout', 'errors')).toBe('checkout|errors|');
  });

  it('pools the record on other services, capped, and ignores the same service', () => {
    const records = [arm('a', 'p', 80, 20), arm('b', 'p', 0, 0), arm('b', 'q', 50, 50)];
    const prior = pooledPrior(records, 'p', 'b');
    expect(prior.alpha).toBeCloseTo(1 + 0.8 * 4, 9);
    expect(prior.beta).toBeCloseTo(1 + 0.2 * 4, 9);
    expect(pooledPrior(records, 'p', 'a')).toEqual({ alpha: 1, beta: 1 });
    // The service's own record is added in full on top of the pooled prior.
    const post = posteriorOf([arm('a', 'p', 80, 20), arm('b', 'p', 0, 10)], 'b|latency|p95', 'b', 'p');
    expect(post.beta).toBeCloseTo(1 + 0.8 + 10, 9);
  });

  it('the lower bound grows with evidence at a fixed rate', () => {
    const few = lowerBound({ alpha: 1 + 4, beta: 1 + 1 });
    const many = lowerBound({ alpha: 1 + 40, beta: 1 + 10 });
    expect(many).toBeGreaterThan(few);
    expect(many).toBeLessThan(0.8);
  });
});

describe('thompsonChoose', () => {
  it('mostly picks the arm with the better record but still explores', () => {
    const rng = createRng(7);
    const cands = [
      { playbookId: 'good', priority: 0, posterior: { alpha: 9, beta: 3 } },
      { playbookId: 'bad', priority: 10, posterior: { alpha: 3, beta: 9 } },
      { playbookId: 'new', priority: 0, posterior: { alpha: 1, beta: 1 } },
    ];
    const counts: Record<string, number> = { good: 0, bad: 0, new: 0 };
    for (let i = 0; i < 2000; i++) {
      const c = thompsonChoose(cands, rng);
      counts[c?.chosen as string] = (counts[c?.chosen as string] ?? 0) + 1;
      expect(c?.candidates).toHaveLength(3);
    }
    expect(counts.good).toBeGreaterThan(1200);
    expect(counts.new).toBeGreaterThan(50);
    expect(counts.bad).toBeLessThan(counts.new as number);
    expect(thompsonChoose([], rng)).toBeUndefined();
  });
});

describe('policyChoose', () => {
  it('lets the declared priority decide at a cold start, then samples', () => {
    const rng = createRng(3);
    const flat = { alpha: 1, beta: 1 };
    const cold = policyChoose(
      [
        { playbookId: 'low', priority: 1, posterior: flat },
        { playbookId: 'high', priority: 5, posterior: flat },
      ],
      rng,
    );
    expect(cold?.chosen).toBe('high');
    expect(cold?.candidates.every((c) => Number.isNaN(c.sampled))).toBe(true);
    let lowWins = 0;
    for (let i = 0; i < 200; i++) {
      const c = policyChoose(
        [
          { playbookId: 'low', priority: 1, posterior: { alpha: 6, beta: 1 } },
          { playbookId: 'high', priority: 5, posterior: { alpha: 1, beta: 6 } },
        ],
        rng,
      );
      if (c?.chosen === 'low') lowWins++;
    }
    expect(lowWins).toBeGreaterThan(180);
  });
});

describe('autonomy state machine', () => {
  const rule: AutonomyRule = { suggest: { successes: 0, lcb: 0, observed: 2 }, auto: { successes: 5, lcb: 0.5 }, failureStreak: 3, confidence: 0.9 };

  it('climbs observe -> suggest -> auto by its record, and a made_worse outcome takes it down', () => {
    let s = initialAutonomy('observe');
    let r = stepAutonomy(s, rule, { outcome: 'skipped', wouldRun: true });
    expect(r.change).toBeUndefined();
    r = stepAutonomy(r.state, rule, { outcome: 'skipped', wouldRun: true });
    expect(r.change).toMatchObject({ from: 'observe', to: 'suggest' });
    s = r.state;
    const modes: string[] = [];
    for (let i = 0; i < 8; i++) {
      const step = stepAutonomy(s, rule, { outcome: 'resolved' });
      s = step.state;
      if (step.change) modes.push(step.change.to);
    }
    expect(modes).toEqual(['auto']);
    expect(s.mode).toBe('auto');
    const worse = stepAutonomy(s, rule, { outcome: 'made_worse' });
    expect(worse.change).toMatchObject({ from: 'auto', to: 'suggest' });
  });

  it('a failure streak demotes; a success in between resets it', () => {
    let s = { ...initialAutonomy('auto'), successes: 20 };
    for (const o of ['not_resolved', 'undone', 'resolved', 'not_resolved', 'not_resolved']) s = stepAutonomy(s, rule, { outcome: o }).state;
    expect(s.mode).toBe('auto');
    const r = stepAutonomy(s, rule, { outcome: 'not_resolved' });
    expect(r.change).toMatchObject({ from: 'auto', to: 'suggest', reason: '3 failures in a row' });
  });

  it('a pinned mode wins over the record', () => {
    let s = pinAutonomy(initialAutonomy('observe'), 'suggest');
    for (let i = 0; i < 20; i++) s = stepAutonomy(s, rule, { outcome: 'resolved' }).state;
    expect(s).toMatchObject({ mode: 'suggest', pinned: true, successes: 20 });
    expect(stepAutonomy(s, rule, { outcome: 'made_worse' }).change).toBeUndefined();
    s = pinAutonomy(s, undefined);
    expect(stepAutonomy(s, rule, { outcome: 'resolved' }).change).toMatchObject({ to: 'auto' });
  });
});
