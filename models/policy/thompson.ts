/**
 * Thompson sampling over the playbooks that match an anomaly: one draw from
 * each candidate's posterior, the largest draw wins. Pure; randomness from
 * the injected seeded {@link Rng}.
 */
import type { Rng } from '../stats/index.ts';
import { sampleBeta } from './beta.ts';
import type { BetaPosterior } from './posterior.ts';

/** A playbook that may be chosen, with its posterior on the anomaly's signature. */
export interface Candidate {
  playbookId: string;
  /** Priority declared by the playbook: breaks exact ties (then the id). */
  priority: number;
  posterior: BetaPosterior;
}

/** A candidate with the value sampled for it. */
export interface SampledCandidate extends Candidate {
  sampled: number;
}

/** The choice and what it was made from (recorded on the execution). */
export interface ThompsonChoice {
  chosen: string;
  /** Every candidate with its draw, in input order. */
  candidates: SampledCandidate[];
}

/**
 * Draws one value from each candidate's posterior and picks the largest.
 * Exploration is built in: an arm with few observations has a wide
 * posterior and wins some draws; an arm that keeps failing stops winning.
 * Returns undefined when there is no candidate.
 */
export function thompsonChoose(candidates: readonly Candidate[], rng: Rng): ThompsonChoice | undefined {
  if (candidates.length === 0) return undefined;
  const sampled = candidates.map((c) => ({ ...c, sampled: sampleBeta(c.posterior.alpha, c.posterior.beta, rng) }));
  let best = sampled[0] as SampledCandidate;
  for (const c of sampled.slice(1)) {
    if (
      c.sampled > best.sampled ||
      (c.sampled === best.sampled && (c.priority > best.priority || (c.priority === best.priority && c.playbookId < best.playbookId)))
    )
      best = c;
  }
  return { chosen: best.playbookId, candidates: sampled };
}

/**
 * The policy's choice: Thompson sampling, except at a cold start. While no
 * candidate has any record (no own outcome and nothing pooled from other
 * services: every posterior is the flat base prior), the declared priority
 * is the only information there is, so the highest priority wins (ties by
 * id) and its `sampled` values are null. `base` is the prior's pseudo-count
 * per side (default 1).
 */
export function policyChoose(candidates: readonly Candidate[], rng: Rng, base = 1): ThompsonChoice | undefined {
  if (candidates.length === 0) return undefined;
  const cold = candidates.every((c) => c.posterior.alpha + c.posterior.beta <= 2 * base + 1e-9);
  if (!cold) return thompsonChoose(candidates, rng);
  const best = [...candidates].sort((x, y) => y.priority - x.priority || (x.playbookId < y.playbookId ? -1 : 1))[0] as Candidate;
  return { chosen: best.playbookId, candidates: candidates.map((c) => ({ ...c, sampled: Number.NaN })) };
}
