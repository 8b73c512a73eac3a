/**
 * The fault kinds the demo control plane injects, what their magnitude means,
 * and which control-plane operation fixes each (the ground truth a benchmark
 * scores against). `none` means no operation helps: zeroops must escalate.
 */
import type { ServiceSpec } from './topology.ts';

/** Every fault kind, as accepted by POST /faults and `zeroops demo fault`. */
export const FAULT_KINDS = [
  'latency',
  'errors',
  'crash-loop',
  'memory-leak',
  'cpu-hog',
  'bad-deploy',
  'dependency-down',
  'pool-exhaustion',
  'traffic-surge',
] as const;
/** One of {@link FAULT_KINDS}. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** An operation of the control plane that may end a fault. */
export type FixOperation = 'restart' | 'rollback' | 'scale' | 'none';

/** What a kind does, its default magnitude and its fix. */
export interface FaultKindInfo {
  /** Default magnitude when none is given. */
  magnitude: number;
  /** Smallest and largest magnitude accepted. */
  range: [number, number];
  /** What the magnitude means. */
  unit: string;
  /** The operation that ends the fault (`none`: only time ends it; zeroops should escalate). */
  fix: FixOperation;
  /** How it shows in telemetry. */
  effect: string;
}

/** Per kind: magnitude, fix and effect. */
export const FAULT_INFO: Readonly<Record<FaultKind, FaultKindInfo>> = {
  latency: { magnitude: 400, range: [1, 30_000], unit: 'ms added to each request', fix: 'none', effect: 'the handler waits before answering' },
  errors: {
    magnitude: 0.5,
    range: [0.01, 1],
    unit: 'share of requests answered 500',
    fix: 'none',
    effect: 'the handler answers 500; server spans get error status',
  },
  'crash-loop': {
    magnitude: 3,
    range: [0.5, 60],
    unit: 'seconds a process lives after start',
    fix: 'none',
    effect: 'each replica exits soon after it starts; the supervisor restarts it with back-off',
  },
  'memory-leak': {
    magnitude: 8,
    range: [1, 200],
    unit: 'MB of heap retained per second',
    fix: 'restart',
    effect: 'the heap grows until the process dies of out-of-memory (and again after each crash) until an explicit restart',
  },
  'cpu-hog': {
    magnitude: 0.7,
    range: [0.05, 0.95],
    unit: 'share of each 100 ms the event loop spins',
    fix: 'restart',
    effect: 'a runaway loop starves the event loop',
  },
  'bad-deploy': {
    magnitude: 0.6,
    range: [0.01, 1],
    unit: 'share of requests the new version fails',
    fix: 'rollback',
    effect: 'a new version (another service.version) is rolled out; its bug answers 500',
  },
  'dependency-down': {
    magnitude: 1,
    range: [0.01, 1],
    unit: 'share of datastore calls that cannot connect',
    fix: 'none',
    effect: "calls to the service's datastore (or its downstream services, or an external provider for leaves) are refused",
  },
  'pool-exhaustion': {
    magnitude: 2,
    range: [0.1, 50],
    unit: 'pool slots leaked per second (pool of 10)',
    fix: 'restart',
    effect: 'leaked connection-pool slots make requests queue, then time out',
  },
  'traffic-surge': {
    magnitude: 4,
    range: [1.5, 20],
    unit: 'times the normal load sent to the service (its load at the mean rate at least, whatever the hour)',
    fix: 'scale',
    effect: 'extra load beyond one replica’s capacity queues and is shed (503); enough replicas absorb it',
  },
};

/**
 * Replicas needed to absorb a traffic surge of `magnitude`: one replica takes
 * three times the service's mean load, and the daily peak is 1.6 times the
 * mean, so `magnitude * 1.6 / 3` replicas (at least 2).
 */
export function replicasNeeded(magnitude: number): number {
  return Math.max(2, Math.ceil((magnitude * 1.6) / 3));
}

/**
 * The load of a service at the daily peak over its mean load: the demo's
 * daily rhythm peaks at 1.6 times the mean (load-generator.ts).
 */
const PEAK_OVER_MEAN = 1.6;

/**
 * Replicas each service needs for a traffic surge of `magnitude` on
 * `service` to be absorbed: the surged service itself
 * {@link replicasNeeded}, and every service its requests reach (each route
 * of it equally often, as the surge sends them, flagged calls included)
 * as many as carry, at the daily peak, that service's own load plus the
 * surge's extra requests that reach it. A service's mean load is taken as
 * its per-replica capacity over `headroom` (a replica is sized for
 * `headroom` times its share of the mean load; where a floor raised the
 * capacity this overstates the load, so it asks for more replicas, never
 * fewer). Services that need no more than one replica are left out. So a
 * surge on a service whose datastore is sized like one of its replicas
 * (cart and sessions-db: both 3 times cart's load) needs the datastore
 * scaled too, while one on a leaf needs only itself. Pure.
 */
export function surgeReplicas(
  specs: readonly ServiceSpec[],
  capacityRps: Readonly<Record<string, number>>,
  headroom: number,
  service: string,
  magnitude: number,
): Record<string, number> {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const fanOut: Record<string, number> = {};
  const walk = (name: string, method: string, path: string, weight: number, depth: number) => {
    const route = byName.get(name)?.routes.find((r) => r.method === method && r.path === path);
    if (!route || depth > 10) return;
    fanOut[name] = (fanOut[name] ?? 0) + weight;
    for (const c of [...route.calls, ...(route.flagged?.calls ?? [])]) walk(c.service, c.method ?? 'GET', c.path, weight, depth + 1);
  };
  const routes = byName.get(service)?.routes ?? [];
  for (const r of routes) walk(service, r.method, r.path, 1 / routes.length, 0);
  const meanOf = (name: string) => (capacityRps[name] ?? 0) / headroom;
  // The surge adds (magnitude - 1) times the service's load at the peak: its requests are sent straight to it.
  const extra = (magnitude - 1) * PEAK_OVER_MEAN * meanOf(service);
  const needed: Record<string, number> = { [service]: replicasNeeded(magnitude) };
  for (const [name, perRequest] of Object.entries(fanOut)) {
    const capacity = capacityRps[name] ?? 0;
    if (name === service || !(capacity > 0)) continue;
    const n = Math.ceil((PEAK_OVER_MEAN * meanOf(name) + extra * perRequest) / capacity);
    if (n > 1) needed[name] = n;
  }
  return needed;
}

/** True when `kind` is a fault kind. */
export function isFaultKind(kind: string): kind is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(kind);
}
