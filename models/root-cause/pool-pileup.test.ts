import { describe, expect, it } from 'vitest';
import { type CallWait, pileUpOrigin, rankRootCauses, type ServiceEvidence } from './index.ts';

const NOW = 1_800_000_000_000;
const W = 2_000;
// A generic four-level chain with a side branch; the names say nothing to the mechanism.
const graph: Record<string, string[]> = {
  edge: ['router'],
  router: ['middle', 'side'],
  middle: ['store'],
  side: ['cache'],
};
const callees = (s: string) => graph[s] ?? [];
const ALL = ['edge', 'router', 'middle', 'store', 'side', 'cache'];
const normal: ServiceEvidence = { score: 0.1, poolPending: 0, poolSaturated: false };
const fleet = (over: Record<string, ServiceEvidence>) => new Map(ALL.map((s) => [s, over[s] ?? normal]));
const rank = (target: string, evidence: Map<string, ServiceEvidence>) => rankRootCauses({ target, callees, evidence, windowMs: W }, 5, NOW);
/** Requests waiting for a connection beyond the usual. */
const exhausted = (pending: number, over: Partial<ServiceEvidence> = {}): ServiceEvidence => ({
  score: 0.1,
  poolPending: pending,
  poolSaturated: true,
  ...over,
});
/** The first warning of a hang: only the caller's runtime metrics deviate (active handles up), nothing ended yet. */
const runtimeOnly: ServiceEvidence = { score: 0.95, openedAtMs: NOW - 2_000, resourceOnly: true, slowOnly: true, deviation: 23, poolPending: 0 };
const wait = (p50: number, p95: number, e50: number, e95: number): CallWait => ({
  observedMs: { latency_p50_ms: p50, latency_p95_ms: p95, latency_p99_ms: p95 },
  expectedMs: { latency_p50_ms: e50, latency_p95_ms: e95, latency_p99_ms: e95 },
});

describe('requests piling up on an exhausted pool', () => {
  it('ranks the deepest exhausted pool first for a caller whose only evidence is its runtime metrics', () => {
    // store leaked its pool: its requests wait (no span yet) and so do middle's and router's, all pools full.
    const evidence = fleet({ edge: runtimeOnly, router: exhausted(3), middle: exhausted(12), store: exhausted(40) });
    const r = rank('edge', evidence);
    expect(r[0]?.service).toBe('store');
    expect(r[0]?.hops).toBe(3);
    expect(r[0]?.reason).toMatch(/requests wait for a connection of store's pool \(40 on average\).*router -> middle -> store/);
    // Without the pool figures the same evidence ranks no deeper service first (what the bench saw).
    const blind = fleet({ edge: runtimeOnly, router: { score: 0.1 }, middle: { score: 0.1 }, store: { score: 0.1 } });
    expect(rank('edge', blind)[0]?.service).not.toBe('store');
  });

  it('ranks the middle service when the hang is really there: its callee waits for nothing and has free connections', () => {
    // middle leaked its pool: its requests have no span yet (its score is still low); store only lost traffic.
    const evidence = fleet({
      edge: runtimeOnly,
      router: exhausted(5),
      middle: exhausted(16),
      store: { score: 0.6, openedAtMs: NOW - 2_000, lostTraffic: true, demandDown: true, poolPending: 0 },
    });
    for (const target of ['edge', 'router', 'middle']) expect(rank(target, evidence)[0]?.service).toBe('middle');
  });

  it('walks past an exhausted caller to the slow callee it waits for, whose own pool is not exhausted', () => {
    // store is slow (a latency fault) with a large pool: middle's slots are all held by calls waiting for it.
    const evidence = fleet({
      edge: runtimeOnly,
      middle: exhausted(8, { score: 0.8, openedAtMs: NOW - 2_000, latencyRiseMs: { latency_p95_ms: 900 }, callWaits: { store: wait(850, 950, 10, 30) } }),
    });
    const p = pileUpOrigin('edge', { target: 'edge', callees, evidence });
    expect(p?.origin).toBe('store');
    expect(p?.path).toEqual(['middle', 'store']);
    expect(rank('edge', evidence)[0]?.service).toBe('store');
  });

  it('comes before more requests than usual above it (held requests end in a burst), not before a surge that filled the pool', () => {
    // router's and edge's windows count the held requests that finally ended: "more requests than usual" upstream.
    const burst = { demandUp: true, score: 0.9, openedAtMs: NOW - 2_000, slowOnly: true };
    const evidence = fleet({
      edge: { ...runtimeOnly, ...burst, demandRatio: 3 },
      router: { ...burst, demandRatio: 1.6, poolPending: 0 },
      middle: exhausted(10),
      store: exhausted(40),
    });
    expect(rank('router', evidence)[0]?.service).toBe('store');
    // A surge sent to middle fills store's pool: store is loaded from upstream, and middle, where the demand enters, goes first.
    const surge = fleet({ middle: exhausted(10, { ...burst, demandRatio: 3 }), store: exhausted(40, { ...burst, demandRatio: 3 }) });
    expect(rank('store', surge)[0]?.service).toBe('middle');
    expect(rank('router', surge)[0]?.service).not.toBe('store');
  });

  it('ranks a failing service on another branch first and the pile-up second (two faults at once)', () => {
    // side's own requests fail (a bad deploy) while store's pool is exhausted: router suffers from both.
    const evidence = fleet({
      router: { score: 1, openedAtMs: NOW - 2_000, serverErrorRatio: 0.4, errorsUp: true, clientErrorRatioTo: { side: 0.8 } },
      side: { score: 1, openedAtMs: NOW - 2_000, serverErrorRatio: 0.8, errorsUp: true },
      middle: exhausted(10),
      store: exhausted(40),
    });
    expect(
      rank('router', evidence)
        .map((c) => c.service)
        .slice(0, 2),
    ).toEqual(['side', 'store']);
  });

  it('leaves the ranking alone when no pool is exhausted, or only as usual, or the target was just deployed', () => {
    expect(pileUpOrigin('edge', { target: 'edge', callees, evidence: fleet({ edge: runtimeOnly }) })).toBeUndefined();
    // Pending requests within the service's usual band (detector: not saturated) are not a pile-up.
    const usual = fleet({ edge: runtimeOnly, store: { score: 0.1, poolPending: 3, poolSaturated: false } });
    expect(pileUpOrigin('edge', { target: 'edge', callees, evidence: usual })).toBeUndefined();
    // A pool exhausted off the target's call graph is not its cause.
    expect(pileUpOrigin('middle', { target: 'middle', callees, evidence: fleet({ cache: exhausted(30) }) })).toBeUndefined();
    const deployed = fleet({
      router: { score: 1, openedAtMs: NOW - 2_000, serverErrorRatio: 0.5, errorsUp: true, deployedRecently: true },
      store: exhausted(30),
    });
    expect(rank('router', deployed)[0]?.service).toBe('router');
  });
});
