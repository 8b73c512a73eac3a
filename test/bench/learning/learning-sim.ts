/**
 * Runs remediation policies through a simulated world and measures their
 * cumulative (expected) regret: for every episode, the hidden rate of the
 * best playbook for its signature minus that of the one chosen. The best
 * fixed choice per signature has regret 0 by definition.
 */
import { type ArmRecord, applyOutcome, DEFAULT_POOLING, type PoolingOptions, policyChoose, posteriorOf } from '../../../models/policy/index.ts';
import { createRng, type Rng } from '../../../models/stats/index.ts';
import type { SimSignature, SimWorld } from './simulated-world.ts';

/** A policy: picks the index of a matching playbook for a signature, and learns from the outcome. */
export interface SimPolicy {
  choose(sig: SimSignature): number;
  learn(sig: SimSignature, index: number, success: boolean): void;
}

/** Uniform random among the matching playbooks. */
export function randomPolicy(rng: Rng): SimPolicy {
  return { choose: (sig) => Math.floor(rng.next() * sig.playbooks.length), learn: () => undefined };
}

/** The highest declared priority wins, always (zeroops before the policy). */
export function priorityPolicy(world: SimWorld): SimPolicy {
  return {
    choose(sig) {
      let best = 0;
      sig.playbooks.forEach((p, i) => {
        if ((world.priority[p] ?? 0) > (world.priority[sig.playbooks[best] as string] ?? 0)) best = i;
      });
      return best;
    },
    learn: () => undefined,
  };
}

/** The models/policy choice (Thompson sampling, priority at a cold start) on its posteriors (pooled priors unless `pooling.maxPooled` is 0). */
export function thompsonPolicy(world: SimWorld, rng: Rng, pooling: PoolingOptions = DEFAULT_POOLING): SimPolicy {
  const records = new Map<string, ArmRecord>();
  const key = (sig: string, pb: string) => `${sig}\u0000${pb}`;
  return {
    choose(sig) {
      const all = [...records.values()];
      const candidates = sig.playbooks.map((p) => ({
        playbookId: p,
        priority: world.priority[p] ?? 0,
        posterior: posteriorOf(all, sig.signature, sig.service, p, pooling),
      }));
      const c = policyChoose(candidates, rng);
      return sig.playbooks.indexOf(c?.chosen as string);
    },
    learn(sig, i, success) {
      const pb = sig.playbooks[i] as string;
      const k = key(sig.signature, pb);
      const r = records.get(k) ?? { signature: sig.signature, service: sig.service, playbookId: pb, successes: 0, failures: 0 };
      records.set(k, applyOutcome(r, success ? 'resolved' : 'not_resolved'));
    },
  };
}

/**
 * Plays anomalies (signatures drawn uniformly, from `seed`) through `policy`
 * up to the largest of `checkpoints` and returns its cumulative expected
 * regret after each checkpoint's number of episodes. Every policy sees the
 * same sequence of signatures and outcome draws for a seed.
 */
export function cumulativeRegret(world: SimWorld, policy: SimPolicy, checkpoints: readonly number[], seed: number): number[] {
  const env = createRng(seed ^ 0x5bd1e995);
  const last = Math.max(0, ...checkpoints);
  const wanted = new Set(checkpoints);
  const at = new Map<number, number>();
  let regret = 0;
  for (let e = 1; e <= last; e++) {
    const sig = world.signatures[Math.floor(env.next() * world.signatures.length)] as SimSignature;
    const draw = env.next();
    const i = policy.choose(sig);
    const rate = sig.rates[i] as number;
    regret += Math.max(...sig.rates) - rate;
    policy.learn(sig, i, draw < rate);
    if (wanted.has(e)) at.set(e, regret);
  }
  return checkpoints.map((c) => at.get(c) ?? 0);
}

/** Seeded helper for the policies' own randomness (kept apart from the environment's). */
export const policyRng = (seed: number): Rng => createRng(seed * 7919 + 17);
