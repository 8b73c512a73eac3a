import { describe, expect, it } from 'vitest';
import { rankRootCauses, type ServiceEvidence, SHARED_CAUSE, sharedSlowdown } from './index.ts';

const NOW = 1_800_000_000_000;
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
const slow = (deviation = 7, openedAtMs = NOW - 4_000): ServiceEvidence => ({ score: 0.9, openedAtMs, slowOnly: true, deviation, serverErrorRatio: 0 });
const fleet = (over: Record<string, ServiceEvidence>) => new Map(SLICE.map((s) => [s, over[s] ?? normal]));
const rank = (target: string, evidence: Map<string, ServiceEvidence>) => rankRootCauses({ target, callees, evidence, windowMs: 2_000 }, 5, NOW);

describe('a fleet-wide slowdown is one shared cause', () => {
  it('names the shared cause first for every service that only slowed with the fleet', () => {
    const evidence = fleet(Object.fromEntries(SLICE.map((s, i) => [s, slow(6 + i)])));
    const verdict = sharedSlowdown(evidence, callees);
    expect(verdict?.members.size).toBe(6);
    expect(verdict?.sinks).toEqual(['products-db', 'sessions-db']);
    for (const target of SLICE) {
      const r = rank(target, evidence);
      expect(r[0]?.service, target).toBe(SHARED_CAUSE);
      expect(r[0]?.reason).toMatch(/6 of 6 services slowed at once with no errors.*products-db, sessions-db/);
      expect(r.find((c) => c.service === target)?.reason).toMatch(/slowed with the rest of the fleet/);
    }
  });

  it('keeps a real latency fault in one service its own cause when only its callers slow with it (one chain, one sink)', () => {
    const evidence = fleet({ frontend: slow(6), gateway: slow(7), catalog: slow(8), 'products-db': slow(9, NOW - 6_000) });
    expect(sharedSlowdown(evidence, callees)).toBeUndefined();
    for (const target of ['frontend', 'gateway', 'catalog', 'products-db']) expect(rank(target, evidence)[0]?.service, target).toBe('products-db');
  });

  it('keeps a service that fails requests its own cause while the rest of the fleet only slowed', () => {
    const evidence = fleet({
      frontend: slow(6),
      gateway: slow(6),
      catalog: slow(7),
      'products-db': slow(6),
      'sessions-db': slow(7),
      cart: { score: 0.95, openedAtMs: NOW - 4_000, serverErrorRatio: 0.6, deviation: 12 },
    });
    const verdict = sharedSlowdown(evidence, callees);
    expect(verdict?.members.has('cart')).toBe(false);
    expect(verdict?.members.has('catalog')).toBe(true);
    expect(rank('cart', evidence)[0]?.service).toBe('cart');
    expect(rank('catalog', evidence)[0]?.service).toBe(SHARED_CAUSE);
    // The slowed datastore under cart explains none of cart's failures.
    expect(rank('cart', evidence)[0]?.reason).toMatch(/own server spans fail/);
  });

  it('keeps a service that slowed far more than the rest (a CPU hog while the host slows a little) its own cause', () => {
    const evidence = fleet({ frontend: slow(6), gateway: slow(5), catalog: slow(60), 'products-db': slow(6), 'sessions-db': slow(7), cart: slow(5) });
    const verdict = sharedSlowdown(evidence, callees);
    expect(verdict?.outliers).toEqual(['catalog']);
    expect(rank('catalog', evidence)[0]?.service).toBe('catalog');
    expect(rank('cart', evidence)[0]?.service).toBe(SHARED_CAUSE);
  });

  it('needs many services: two slowed services out of six, or a fleet of three, are ranked one by one', () => {
    expect(sharedSlowdown(fleet({ 'products-db': slow(), 'sessions-db': slow() }), callees)).toBeUndefined();
    const three = new Map([
      ['a', slow()],
      ['b', slow()],
      ['c', slow()],
    ]);
    expect(sharedSlowdown(three, () => [])).toBeUndefined();
    expect(sharedSlowdown(new Map([...three, ['d', normal]]), () => [])?.members.size).toBe(3);
  });

  it('does not count lost traffic or errors as slowing with the fleet', () => {
    const lost = { score: 0.9, openedAtMs: NOW - 4_000, lostTraffic: true, slowOnly: false };
    const evidence = fleet({ frontend: slow(), 'products-db': lost, 'sessions-db': lost, cart: { ...slow(), serverErrorRatio: 0.4 } });
    expect(sharedSlowdown(evidence, callees)).toBeUndefined();
  });

  it('leaves a slowed caller to the real cause downstream of it (a failing callee) rather than the crowd', () => {
    const evidence = fleet({
      frontend: slow(6),
      gateway: slow(7),
      catalog: { score: 0.99, openedAtMs: NOW - 4_000, serverErrorRatio: 0.4, deviation: 30 },
      'products-db': slow(6),
      cart: slow(5),
      'sessions-db': slow(6),
    });
    const verdict = sharedSlowdown(evidence, callees);
    expect([...(verdict?.members ?? [])].sort()).toEqual(['cart', 'products-db', 'sessions-db']);
    expect(rank('gateway', evidence)[0]?.service).toBe('catalog');
    expect(rank('frontend', evidence)[0]?.service).toBe('catalog');
  });

  it('leaves a service deployed in the last few windows out of the crowd: its new version is a change of its own', () => {
    const evidence = fleet({
      frontend: slow(6),
      gateway: slow(7),
      catalog: slow(6),
      'products-db': slow(6),
      cart: { ...slow(7), deployedRecently: true },
      'sessions-db': slow(6),
    });
    const verdict = sharedSlowdown(evidence, callees);
    expect(verdict?.members.has('cart')).toBe(false);
    expect(verdict?.members.has('catalog')).toBe(true);
    expect(rank('cart', evidence)[0]?.service).not.toBe(SHARED_CAUSE);
  });
});
