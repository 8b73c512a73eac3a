/**
 * The claims `make bench-learning` prints, checked on the same simulated
 * world (pure, a few seconds): over 1,000 episodes the remediation policy's
 * cumulative regret is below 20% of uniform random's and below "highest
 * priority wins", and its regret grows more slowly than random's between
 * 500 and 1,000 episodes.
 */
import { describe, expect, it } from 'vitest';
import { cumulativeRegret, policyRng, priorityPolicy, randomPolicy, thompsonPolicy } from './learning-sim.ts';
import { buildWorld } from './simulated-world.ts';

const SEEDS = [1, 2, 3, 4, 5, 6, 7];
const CHECKPOINTS = [500, 1000];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

describe('remediation policy on the simulated world of bench-learning', () => {
  const runs = SEEDS.map((seed) => {
    const world = buildWorld(seed);
    return {
      policy: cumulativeRegret(world, thompsonPolicy(world, policyRng(seed)), CHECKPOINTS, seed),
      random: cumulativeRegret(world, randomPolicy(policyRng(seed)), CHECKPOINTS, seed),
      priority: cumulativeRegret(world, priorityPolicy(world), CHECKPOINTS, seed),
    };
  });

  it('regret at 1,000 episodes is below 20% of uniform random and below highest-priority-wins (medians over 7 seeds)', () => {
    const share = median(runs.map((r) => (r.policy[1] as number) / (r.random[1] as number)));
    expect(share).toBeGreaterThan(0);
    expect(share).toBeLessThan(0.2);
    expect(median(runs.map((r) => r.policy[1] as number))).toBeLessThan(median(runs.map((r) => r.priority[1] as number)));
  });

  it('learns: its regret over episodes 501..1000 is below its regret over the first 500, while random grows about linearly', () => {
    for (const r of runs) {
      const [at500, at1000] = r.policy as [number, number];
      expect(at1000 - at500, `seed regrets ${r.policy.join(', ')}`).toBeLessThan(at500);
      const [rand500, rand1000] = r.random as [number, number];
      expect(rand1000 - rand500).toBeGreaterThan(0.6 * rand500);
    }
  });

  it('reports the regret at each checkpoint, in order, without replaying', () => {
    const world = buildWorld(3);
    const once = cumulativeRegret(world, randomPolicy(policyRng(3)), [1000], 3);
    const both = cumulativeRegret(world, randomPolicy(policyRng(3)), [500, 1000], 3);
    expect(both[1]).toBe(once[0]);
    expect(both[0]).toBeLessThan(both[1] as number);
  });
});
