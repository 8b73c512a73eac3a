import { describe, expect, it } from 'vitest';
import { rankRootCauses, type ServiceEvidence } from './index.ts';

const NOW = 1_800_000_000_000;
const graph: Record<string, string[]> = {
  frontend: ['gateway'],
  gateway: ['catalog', 'cart', 'checkout'],
  checkout: ['payment', 'inventory', 'shipping'],
  catalog: ['datastore'],
  cart: ['datastore'],
};
const callees = (s: string) => graph[s] ?? [];
const ev = (e: Record<string, ServiceEvidence>) => new Map(Object.entries(e));

describe('rankRootCauses', () => {
  it('blames the deepest anomalous service of a chain that failed in one window, whatever the target', () => {
    const t = NOW - 20_000;
    const evidence = ev({
      frontend: { score: 0.9, openedAtMs: t, serverErrorRatio: 0.4 },
      gateway: { score: 0.95, openedAtMs: t, serverErrorRatio: 0.45 },
      checkout: { score: 0.97, openedAtMs: t, serverErrorRatio: 0.5 },
      payment: { score: 0.99, openedAtMs: t, serverErrorRatio: 0.7 },
    });
    for (const target of ['frontend', 'gateway', 'checkout', 'payment']) {
      const r = rankRootCauses({ target, callees, evidence }, 5, NOW);
      expect(r[0]?.service, target).toBe('payment');
      expect(r[0]?.reason).toMatch(/own server spans fail/);
    }
    const fromFrontend = rankRootCauses({ target: 'frontend', callees, evidence }, 5, NOW);
    expect(fromFrontend.find((c) => c.service === 'frontend')?.reason).toMatch(/symptom/);
    expect(fromFrontend[0]?.hops).toBe(3);
  });

  it('does not depend on the order in which the evidence arrived', () => {
    const entries: [string, ServiceEvidence][] = [
      ['gateway', { score: 0.9, openedAtMs: NOW - 10_000 }],
      ['datastore', { score: 0.8, openedAtMs: NOW - 10_000, serverErrorRatio: 0.5 }],
      ['catalog', { score: 0.85, openedAtMs: NOW - 10_000 }],
    ];
    const a = rankRootCauses({ target: 'gateway', callees, evidence: new Map(entries) }, 5, NOW);
    const b = rankRootCauses({ target: 'gateway', callees, evidence: new Map([...entries].reverse()) }, 5, NOW);
    expect(a).toEqual(b);
    expect(a[0]?.service).toBe('datastore');
  });

  it('names a callee that its callers cannot reach even though it reports nothing itself', () => {
    const evidence = ev({
      checkout: { score: 0.95, openedAtMs: NOW - 30_000, serverErrorRatio: 0.6, clientErrorRatioTo: { inventory: 0.9, payment: 0 } },
      gateway: { score: 0.9, openedAtMs: NOW - 30_000, serverErrorRatio: 0.5 },
    });
    const r = rankRootCauses({ target: 'gateway', callees, evidence }, 5, NOW);
    expect(r[0]?.service).toBe('inventory');
    expect(r[0]?.reason).toMatch(/unreachable or down/);
    expect(r.find((c) => c.service === 'checkout')?.reason).toMatch(/symptom: inventory/);
  });

  it('keeps the service itself first when nothing downstream is anomalous', () => {
    const evidence = ev({ cart: { score: 0.9, openedAtMs: NOW - 10_000, serverErrorRatio: 0.3 }, datastore: { score: 0.1 } });
    const r = rankRootCauses({ target: 'cart', callees, evidence }, 5, NOW);
    expect(r.map((c) => c.service)).toEqual(['cart']);
    expect(r[0]?.reason).toMatch(/no anomalous dependency explains it/);
  });

  it('does not blame a callee that went anomalous well after the service did', () => {
    const evidence = ev({
      checkout: { score: 0.9, openedAtMs: NOW - 120_000, serverErrorRatio: 0.5 },
      shipping: { score: 0.9, openedAtMs: NOW - 20_000 },
    });
    const r = rankRootCauses({ target: 'checkout', callees, evidence, windowMs: 10_000 }, 5, NOW);
    expect(r[0]?.service).toBe('checkout');
  });
  it('a callee that only lost traffic (its caller stopped calling it) does not explain its caller, and ranks below it', () => {
    const t = NOW - 20_000;
    const evidence = ev({
      gateway: { score: 0.95, openedAtMs: t, serverErrorRatio: 0.6 },
      cart: { score: 0.9, openedAtMs: t, lostTraffic: true },
      catalog: { score: 0.88, openedAtMs: t, lostTraffic: true },
    });
    const r = rankRootCauses({ target: 'gateway', callees, evidence }, 5, NOW);
    expect(r[0]?.service).toBe('gateway');
    expect(r[0]?.reason).toMatch(/no anomalous dependency explains it/);
    expect(r.find((c) => c.service === 'cart')?.reason).toMatch(/only lost traffic/);
  });

  it("a callee that emits nothing while its callers' calls to it fail is blamed, not the callers", () => {
    const t = NOW - 20_000;
    const evidence = ev({
      gateway: { score: 0.95, openedAtMs: t, serverErrorRatio: 0.6, clientErrorRatioTo: { cart: 0.9, catalog: 0 } },
      catalog: { score: 0.1 },
    });
    const r = rankRootCauses({ target: 'gateway', callees, evidence }, 5, NOW);
    expect(r[0]?.service).toBe('cart');
    expect(r[0]?.reason).toMatch(/calls to it fail \(90%\) while its own server spans are missing/);
  });

  it('a datastore whose only deviation is its runtime metrics, open since earlier, does not explain a caller that fails on its own', () => {
    const evidence = ev({
      cart: { score: 0.97, openedAtMs: NOW - 4_000, serverErrorRatio: 0.6 },
      datastore: { score: 0.9, openedAtMs: NOW - 300_000, resourceOnly: true },
    });
    const r = rankRootCauses({ target: 'cart', callees, evidence, windowMs: 2_000 }, 5, NOW);
    expect(r[0]?.service).toBe('cart');
    expect(r[0]?.reason).toMatch(/own server spans fail \(60%\); no anomalous dependency explains it/);
    const ds = r.find((c) => c.service === 'datastore');
    expect(ds?.reason).toMatch(/only its runtime metrics deviate/);
    expect(ds?.score ?? 1).toBeLessThan(r[0]?.score ?? 0);
  });

  it("a callee that is only slow does not explain its caller's failing requests; a failing one does", () => {
    const slowDs: ServiceEvidence = { score: 0.9, openedAtMs: NOW - 6_000, serverErrorRatio: 0 };
    const cart: ServiceEvidence = { score: 0.97, openedAtMs: NOW - 4_000, serverErrorRatio: 0.6 };
    const r = rankRootCauses({ target: 'cart', callees, evidence: ev({ cart, datastore: slowDs }), windowMs: 2_000 }, 5, NOW);
    expect(r[0]?.service).toBe('cart');
    expect(r[0]?.reason).toMatch(/own server spans fail/);
    const failingDs = { ...slowDs, serverErrorRatio: 0.5 };
    const f = rankRootCauses({ target: 'cart', callees, evidence: ev({ cart, datastore: failingDs }), windowMs: 2_000 }, 5, NOW);
    expect(f[0]?.service).toBe('datastore');
    expect(f.find((c) => c.service === 'cart')?.reason).toMatch(/symptom: datastore/);
    // Slowness is still explained by slowness downstream.
    const slowCart = { ...cart, serverErrorRatio: 0 };
    expect(rankRootCauses({ target: 'cart', callees, evidence: ev({ cart: slowCart, datastore: slowDs }), windowMs: 2_000 }, 5, NOW)[0]?.service).toBe(
      'datastore',
    );
  });

  it('counts a caller whose error ratio rose, however small the share, as failing: a merely slow callee does not explain it', () => {
    const evidence = ev({
      frontend: { score: 0.9, openedAtMs: NOW - 2_000, serverErrorRatio: 0.05, errorsUp: true },
      gateway: { score: 0.95, openedAtMs: NOW - 2_000, serverErrorRatio: 0.3 },
      catalog: { score: 0.99, openedAtMs: NOW - 8_000, serverErrorRatio: 0 },
    });
    const r = rankRootCauses({ target: 'frontend', callees, evidence, windowMs: 2_000 }, 5, NOW);
    expect(r[0]?.service).toBe('gateway');
    expect(r.find((c) => c.service === 'catalog')?.score ?? 0).toBeLessThan(r[0]?.score ?? 1);
  });

  describe('a datastore loaded by a surge upstream', () => {
    // A surge sent to catalog: catalog and its datastore both receive more requests than usual; the datastore slows.
    const t = NOW - 30_000;
    const surge = (catalog: ServiceEvidence) =>
      ev({
        catalog,
        datastore: { score: 0.95, openedAtMs: t, slowOnly: true, demandUp: true, deviation: 12 },
        cart: { score: 0.1 },
        gateway: { score: 0.1 },
      });

    it("ranks the service where the extra demand enters first for the datastore's own anomaly", () => {
      const r = rankRootCauses({ target: 'datastore', callees, evidence: surge({ score: 0.3, demandUp: true }) }, 5, NOW);
      expect(r[0]?.service).toBe('catalog');
      expect(r[0]?.reason).toMatch(/more requests than usual/);
      expect(r[1]?.service).toBe('datastore');
    });

    it('does not let the loaded datastore explain its surged caller', () => {
      const catalog = { score: 0.9, openedAtMs: t, slowOnly: true, demandUp: true, deviation: 8 };
      const r = rankRootCauses({ target: 'catalog', callees, evidence: surge(catalog) }, 5, NOW);
      expect(r[0]?.service).toBe('catalog');
      expect(r.find((c) => c.service === 'datastore')?.reason).toMatch(/as catalog upstream does/);
    });

    it('keeps a slow datastore its own cause when its callers receive no extra demand', () => {
      const evidence = ev({
        catalog: { score: 0.8, openedAtMs: t, slowOnly: true },
        datastore: { score: 0.95, openedAtMs: t, slowOnly: true, demandUp: true },
      });
      expect(rankRootCauses({ target: 'datastore', callees, evidence }, 5, NOW)[0]?.service).toBe('datastore');
      expect(rankRootCauses({ target: 'catalog', callees, evidence }, 5, NOW)[0]?.service).toBe('datastore');
    });

    it('keeps a datastore just deployed its own cause (a change of its own)', () => {
      const evidence = surge({ score: 0.3, demandUp: true });
      evidence.set('datastore', { ...(evidence.get('datastore') as ServiceEvidence), deployedRecently: true });
      expect(rankRootCauses({ target: 'datastore', callees, evidence }, 5, NOW)[0]?.service).toBe('datastore');
    });

    it('follows the demand up to where it enters', () => {
      const evidence = ev({
        frontend: { score: 0.6, openedAtMs: t, demandUp: true },
        gateway: { score: 0.2, demandUp: true },
        catalog: { score: 0.2, demandUp: true },
        datastore: { score: 0.95, openedAtMs: t, slowOnly: true, demandUp: true },
      });
      expect(rankRootCauses({ target: 'datastore', callees, evidence }, 5, NOW)[0]?.service).toBe('frontend');
    });
  });

  it('ranks a service whose only deviation is its own heap first for its anomaly, above an older quiet episode downstream', () => {
    // A memory leak on checkout: only its runtime metrics deviate, since one window; payment has had runtime-metric
    // noise for ten minutes.
    const evidence = ev({
      checkout: { score: 0.8, openedAtMs: NOW - 10_000, resourceOnly: true, slowOnly: true },
      payment: { score: 0.99, openedAtMs: NOW - 600_000, resourceOnly: true, slowOnly: true },
    });
    const r = rankRootCauses({ target: 'checkout', callees, evidence }, 5, NOW);
    expect(r[0]?.service).toBe('checkout');
    expect(r[0]?.score).toBeGreaterThan(0.25);
  });
});
