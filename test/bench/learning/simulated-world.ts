/**
 * The simulated world of `make bench-learning`: services, anomaly kinds and
 * playbooks with hidden verified-resolve rates. A playbook has a base rate
 * per kind (it is good at some problems) plus a per-service deviation (it
 * works better on some services than others), so a playbook's record on
 * other services is informative but not decisive, as in a real fleet.
 * Priorities are assigned independently of the hidden rates, as a person
 * writing playbooks without outcome data would.
 */
import { createRng, type Rng } from '../../../models/stats/index.ts';

/** One anomaly signature: the playbooks that match it and their hidden rates. */
export interface SimSignature {
  signature: string;
  service: string;
  /** Matching playbook ids. */
  playbooks: string[];
  /** Hidden verified-resolve rate of each matching playbook, same order. */
  rates: number[];
}

/** A simulated fleet. */
export interface SimWorld {
  signatures: SimSignature[];
  /** Declared priority of every playbook. */
  priority: Record<string, number>;
}

/** Shape of the world; defaults in {@link DEFAULT_WORLD}. */
export interface WorldShape {
  services: number;
  kinds: number;
  playbooks: number;
  /** Playbooks matching each signature (at least 2). */
  matching: number;
  /** Largest per-service deviation from a playbook's base rate. */
  serviceSpread: number;
}

/** 6 services x 2 kinds = 12 signatures, 4 playbooks of which 3 match each signature. */
export const DEFAULT_WORLD: WorldShape = { services: 6, kinds: 2, playbooks: 4, matching: 3, serviceSpread: 0.15 };

const clamp = (x: number) => Math.min(0.97, Math.max(0.03, x));

function pickDistinct(n: number, k: number, rng: Rng): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [all[i], all[j]] = [all[j] as number, all[i] as number];
  }
  return all.slice(0, k);
}

/** Builds a world from a seed. */
export function buildWorld(seed: number, shape: WorldShape = DEFAULT_WORLD): SimWorld {
  const rng = createRng(seed);
  const ids = Array.from({ length: shape.playbooks }, (_, i) => `pb-${i}`);
  const base = ids.map(() => Array.from({ length: shape.kinds }, () => 0.1 + 0.8 * rng.next()));
  const priority: Record<string, number> = {};
  for (const [i, id] of pickDistinct(shape.playbooks, shape.playbooks, rng).map((p, i) => [i, ids[p] as string] as const)) priority[id] = i;
  const signatures: SimSignature[] = [];
  for (let s = 0; s < shape.services; s++) {
    for (let k = 0; k < shape.kinds; k++) {
      const chosen = pickDistinct(shape.playbooks, shape.matching, rng);
      signatures.push({
        signature: `svc-${s}|kind-${k}|f`,
        service: `svc-${s}`,
        playbooks: chosen.map((p) => ids[p] as string),
        rates: chosen.map((p) => clamp((base[p]?.[k] as number) + (2 * rng.next() - 1) * shape.serviceSpread)),
      });
    }
  }
  return { signatures, priority };
}
