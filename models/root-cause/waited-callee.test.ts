import { describe, expect, it } from 'vitest';
import { type CallWait, rankRootCauses, type ServiceEvidence, SHARED_CAUSE, sharedSlowdown, waitedCallee } from './index.ts';

const NOW = 1_800_000_000_000;
const W = 2_000;
// The six-service slice of the demo shop.
const graph: Record<string, string[]> = {
  frontend: ['gateway'],
  gateway: ['catalog', 'cart'],
  catalog: ['products-db'],
  cart: ['sessions-db'],
};
const callees = (s: string) => graph[s] ?? [];
const SLICE = ['frontend', 'gateway', 'catalog', 'products-db', 'cart', 'sessions-db'];
const normal: ServiceEvidence = { score: 0.1 };
const fleet = (over: Record<string, ServiceEvidence>) => new Map(SLICE.map((s) => [s, over[s] ?? normal]));
const rank = (target: string, evidence: Map<string, ServiceEvidence>) => rankRootCauses({ target, callees, evidence, windowMs: W }, 5, NOW);

/** A caller's calls to one callee: p50 and p95 observed against expected, ms (p99 as p95). */
const wait = (p50: number, p95: number, e50: number, e95: number): CallWait => ({
  observedMs: { latency_p50_ms: p50, latency_p95_ms: p95, latency_p99_ms: p95 },
  expectedMs: { latency_p50_ms: e50, latency_p95_ms: e95, latency_p99_ms: e95 },
});
/** A service that only slowed softly (what a host short of CPU does), its p95 `riseMs` slower. */
const slow = (riseMs: number, over: Partial<ServiceEvidence> = {}): ServiceEvidence => ({
  score: 0.9,
  openedAtMs: NOW - 4_000,
  slowOnly: true,
  deviation: 6,
  serverErrorRatio: 0,
  slowestFeature: 'latency_p95_ms',
  latencyRiseMs: { latency_p50_ms: riseMs / 2, latency_p95_ms: riseMs },
  ...over,
});

describe('a callee that its caller waits for', () => {
  it('ranks the stalled datastore first for a failing caller whose own clock is old, though the datastore looks quiet', () => {
    // catalog's episode opened two minutes ago (runtime-metric noise, then the host); now its requests fail. Its calls
    // to products-db take 3 s (they waited for a pool slot) while products-db's own windows show fewer requests only:
    // its requests have not ended yet.
    const catalog: ServiceEvidence = {
      score: 1,
      openedAtMs: NOW - 120_000,
      serverErrorRatio: 0.6,
      errorsUp: true,
      callWaits: { 'products-db': wait(3_000, 3_400, 20, 60) },
    };
    const db: ServiceEvidence = { score: 0.8, openedAtMs: NOW - 2_000, lostTraffic: true, demandDown: true };
    const r = rank('catalog', fleet({ catalog, 'products-db': db }));
    expect(r[0]?.service).toBe('products-db');
    expect(r[0]?.reason).toMatch(/catalog's calls to it take 3340 ms longer than usual \(latency_p95_ms, stalled\)/);
    expect(r.find((c) => c.service === 'catalog')?.reason).toMatch(/a symptom: products-db/);
    // Without the waits, the datastore only lost traffic and the caller is its own cause.
    const { callWaits: _w, ...blind } = catalog;
    expect(rank('catalog', fleet({ catalog: blind, 'products-db': db }))[0]?.service).toBe('catalog');
  });

  it('follows stalled calls down the chain: the gateway fails, its calls to catalog stall, catalog waits for products-db', () => {
    const evidence = fleet({
      gateway: { score: 1, openedAtMs: NOW - 200_000, serverErrorRatio: 1, errorsUp: true, callWaits: { catalog: wait(3_100, 3_500, 40, 90) } },
      catalog: { score: 0.9, openedAtMs: NOW - 2_000, serverErrorRatio: 0.9, errorsUp: true, callWaits: { 'products-db': wait(3_000, 3_400, 20, 60) } },
      'products-db': { score: 0.2 },
    });
    const r = rank('gateway', evidence);
    expect(r[0]?.service).toBe('products-db');
    expect(r.find((c) => c.service === 'gateway')?.reason).toMatch(/a symptom: catalog/);
  });

  it('does not make calls a little slower than usual a stall, nor a wait spread over two callees a concentrated one', () => {
    // Twice as slow (the host): no stall. Waits on both callees rose alike: not concentrated on one.
    const gateway = slow(200, { callWaits: { catalog: wait(80, 190, 40, 90), cart: wait(70, 180, 35, 80) } });
    expect(waitedCallee('gateway', fleet({ gateway }))).toBeUndefined();
    const one = slow(200, { callWaits: { catalog: wait(80, 190, 40, 90), cart: wait(36, 85, 35, 80) } });
    expect(waitedCallee('gateway', fleet({ gateway: one }))?.callee).toBe('catalog');
  });
});

describe('a waited-for callee against a shared slowdown', () => {
  // Four services slowed softly at once in two places (products-db's branch and sessions-db's): a shared cause.
  const crowd = { frontend: slow(60), gateway: slow(60), cart: slow(40), 'sessions-db': slow(30) };

  it("ranks the callee that catalog's added time is spent waiting for first, not the shared cause, when the callee's own spans do not show it", () => {
    const evidence = fleet({
      ...crowd,
      catalog: slow(400, { callWaits: { 'products-db': wait(300, 450, 20, 60) } }),
      'products-db': { score: 0.3, latencyRiseMs: { latency_p50_ms: 2, latency_p95_ms: 5 } },
    });
    const verdict = sharedSlowdown(evidence, callees);
    expect(verdict?.members.has('catalog')).toBe(false);
    expect(verdict?.members.has('gateway')).toBe(false);
    expect(verdict?.members.has('sessions-db')).toBe(true);
    const r = rank('catalog', evidence);
    expect(r[0]?.service).toBe('products-db');
    expect(r[0]?.reason).toMatch(/products-db downstream is waited for 390 ms longer/);
    // The crowd on the other branch still names the shared cause.
    expect(rank('cart', evidence)[0]?.service).toBe(SHARED_CAUSE);
  });

  it("keeps the shared cause when the callee's own spans show the added wait (the host slowed the datastore too)", () => {
    const evidence = fleet({
      ...crowd,
      catalog: slow(80, { callWaits: { 'products-db': wait(50, 110, 20, 60) } }),
      'products-db': slow(45),
    });
    expect(sharedSlowdown(evidence, callees)?.members.has('catalog')).toBe(true);
    expect(rank('catalog', evidence)[0]?.service).toBe(SHARED_CAUSE);
  });
});
