/**
 * The faults of a bench-zeroops run, drawn with a seed: which kind on which
 * service, in which order. Same seed, same plan.
 */
import { FAULT_INFO, FAULT_KINDS, type FaultKind, type FixOperation } from '../../../infra/demo/fault-kinds.ts';

/** One planned fault. */
export interface PlannedFault {
  /** 1-based position in the run. */
  n: number;
  service: string;
  kind: FaultKind;
  /** The operation that ends it (`none`: zeroops should escalate). */
  fix: FixOperation;
}

/** A seeded uniform generator in [0, 1) (mulberry32); kept here so the bench does not depend on models/ internals. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Draws `count` faults over `services` and `kinds` with `seed`. Kinds cycle
 * through a shuffled deck (every kind once before any repeats), services are
 * drawn uniformly, and the same service is not hit twice in a row (its
 * previous episode may still be closing).
 */
export function planFaults(count: number, seed: number, services: readonly string[], kinds: readonly FaultKind[] = FAULT_KINDS): PlannedFault[] {
  if (services.length === 0) throw new Error('no services to inject faults into');
  if (kinds.length === 0) throw new Error('no fault kinds to draw from');
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const out: PlannedFault[] = [];
  let deck: FaultKind[] = [];
  let last = '';
  for (let n = 1; n <= count; n++) {
    if (deck.length === 0) deck = shuffle([...kinds], rnd);
    const kind = deck.pop() as FaultKind;
    const choices = services.length > 1 ? services.filter((s) => s !== last) : services;
    const service = pick(choices);
    last = service;
    out.push({ n, service, kind, fix: FAULT_INFO[kind].fix });
  }
  return out;
}

function shuffle<T>(xs: T[], rnd: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [xs[i], xs[j]] = [xs[j] as T, xs[i] as T];
  }
  return xs;
}
