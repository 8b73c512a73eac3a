import { describe, expect, it } from 'vitest';
import { rankRootCauses, type ServiceEvidence, SHARED_CAUSE } from './index.ts';

const NOW = 1_800_000_000_000;
const W = 10_000;
const graph: Record<string, string[]> = {
  frontend: ['gateway'],
  gateway: ['catalog', 'cart', 'checkout'],
  checkout: ['payment', 'shipping'],
  catalog: ['products-db'],
  cart: ['sessions-db'],
};
const callees = (s: string) => graph[s] ?? [];
const ev = (e: Record<string, ServiceEvidence>) => new Map(Object.entries(e));
const rank = (target: string, evidence: Map<string, ServiceEvidence>) => rankRootCauses({ target, callees, evidence, windowMs: W }, 5, NOW);

/** A service that is only slower: its p95 is `riseMs` above its baseline, and (when `openedAtMs`) its episode is open. */
const slower = (riseMs: number, openedAtMs?: number, score = 0.9): ServiceEvidence => ({
  score,
  openedAtMs,
  slowOnly: true,
  serverErrorRatio: 0,
  deviation: 8,
  latencyRiseMs: { latency_p50_ms: riseMs / 2, latency_p95_ms: riseMs },
  slowestFeature: 'latency_p95_ms',
});
/** A service answering as its baseline expects (a few ms of noise). */
const usual = (riseMs = 2): ServiceEvidence => ({ score: 0.1, latencyRiseMs: { latency_p50_ms: riseMs, latency_p95_ms: riseMs } });

describe('latency inherited from a callee', () => {
  it("ranks the slow leaf first for its callers even when their episodes opened windows before the leaf's", () => {
    // payment (few requests) crossed its band two windows after checkout, gateway and frontend, which wait for it.
    const evidence = ev({
      frontend: slower(520, NOW - 4 * W),
      gateway: slower(505, NOW - 4 * W),
      checkout: slower(498, NOW - 4 * W),
      payment: slower(480, NOW - 2 * W),
      shipping: usual(),
      catalog: usual(),
      cart: usual(),
    });
    for (const target of ['frontend', 'gateway', 'checkout']) {
      const r = rank(target, evidence);
      expect(r[0]?.service, target).toBe('payment');
      expect(r[0]?.reason).toMatch(/most of the added time is spent waiting for payment/);
      expect(r.findIndex((c) => c.service === target)).toBeGreaterThan(0);
    }
    expect(rank('frontend', evidence)[0]?.reason).toMatch(/through gateway, checkout/);
    expect(rank('payment', evidence)[0]?.service).toBe('payment');
  });

  it('names the callee where the added time is spent even when that callee is not anomalous itself', () => {
    // checkout's p95 is 300 ms up; payment's is 250 ms up but payment's wide band keeps its score low.
    const evidence = ev({ checkout: slower(300, NOW - 2 * W), payment: { ...usual(250), score: 0.3 }, shipping: usual() });
    const r = rank('checkout', evidence);
    expect(r[0]?.service).toBe('payment');
    expect(r[0]?.hops).toBe(1);
  });

  it('keeps a caller its own cause when its callees account for less than half of its added time (a CPU hog in it)', () => {
    const evidence = ev({ gateway: slower(400, NOW - 2 * W), catalog: { ...usual(150), score: 0.3 }, cart: usual(20), checkout: usual(30) });
    expect(rank('gateway', evidence)[0]?.service).toBe('gateway');
  });

  it('stops where no callee accounts for half of the added time any more', () => {
    // catalog waits 300 ms more, products-db answers 260 ms slower: products-db. The walk does not stop at catalog.
    const chain = ev({ gateway: slower(320, NOW - 2 * W), catalog: slower(300, NOW - 2 * W), 'products-db': slower(260, NOW - W) });
    expect(rank('gateway', chain)[0]?.service).toBe('products-db');
    // products-db (anomalous two windows later) only 100 ms slower of catalog's 300: catalog's own work, catalog first
    // for gateway too.
    const own = ev({ gateway: slower(320, NOW - 2 * W), catalog: slower(300, NOW - 2 * W), 'products-db': slower(100, NOW) });
    expect(rank('gateway', own)[0]?.service).toBe('catalog');
    expect(rank('catalog', own)[0]?.service).toBe('catalog');
  });

  it('does not walk from a caller whose requests fail, or that was just deployed', () => {
    const failing = ev({ checkout: { ...slower(300, NOW - 2 * W), slowOnly: false, errorsUp: true }, payment: slower(290, NOW) });
    // Errors are explained only by errors: a merely slow payment does not explain checkout's failures.
    expect(rank('checkout', failing)[0]?.service).toBe('checkout');
    const deployed = ev({ checkout: { ...slower(300, NOW - 2 * W), deployedRecently: true }, payment: slower(290, NOW) });
    expect(rank('checkout', deployed)[0]?.service).toBe('checkout');
  });

  it("does not blame a datastore loaded by its caller's surge for the caller's slowness", () => {
    // catalog receives a surge and passes it on: products-db is slow with catalog's extra demand. catalog stays first.
    const evidence = ev({
      catalog: { ...slower(300, NOW - 2 * W), demandUp: true },
      'products-db': { ...slower(280, NOW - 2 * W), demandUp: true },
    });
    expect(rank('catalog', evidence)[0]?.service).toBe('catalog');
    expect(rank('products-db', evidence)[0]?.service).toBe('catalog');
  });

  it('leaves the shared cause first for a service that only slowed with the fleet', () => {
    const fleet = ev({
      frontend: slower(60, NOW - W),
      gateway: slower(50, NOW - W),
      catalog: slower(40, NOW - W),
      'products-db': slower(30, NOW - W),
      cart: slower(40, NOW - W),
      'sessions-db': slower(30, NOW - W),
    });
    expect(rank('frontend', fleet)[0]?.service).toBe(SHARED_CAUSE);
    expect(rank('catalog', fleet)[0]?.service).toBe(SHARED_CAUSE);
  });

  it('changes nothing when the latency of the callees is unknown', () => {
    const evidence = ev({ checkout: slower(300, NOW - 2 * W), payment: { score: 0.1 } });
    expect(rank('checkout', evidence)[0]?.service).toBe('checkout');
  });
});
