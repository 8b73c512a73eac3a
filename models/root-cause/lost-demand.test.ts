import { describe, expect, it } from 'vitest';
import { rankRootCauses, type ServiceEvidence } from './index.ts';

const NOW = 1_800_000_000_000;
const W = 10_000;
const graph: Record<string, string[]> = { frontend: ['gateway'], gateway: ['catalog'], catalog: ['products-db'], inventory: ['products-db'] };
const callees = (s: string) => graph[s] ?? [];
const ev = (e: Record<string, ServiceEvidence>) => new Map(Object.entries(e));
const rank = (target: string, evidence: Map<string, ServiceEvidence>) => rankRootCauses({ target, callees, evidence, windowMs: W }, 5, NOW);

// catalog's datastore connections are refused inside catalog: its requests fail, and products-db receives a sixth of
// its queries; with so few, products-db's p99 swings (an anomaly of its own, not a failing one).
const catalogFails: ServiceEvidence = { score: 1, openedAtMs: NOW - 2 * W, serverErrorRatio: 0.8, errorsUp: true, clientErrorRatioTo: { 'products-db': 0 } };
const starved: ServiceEvidence = { score: 0.95, openedAtMs: NOW - W, serverErrorRatio: 0, demandDown: true, slowOnly: false };

describe('demand lost upstream', () => {
  it('ranks the failing caller first for a datastore that only receives fewer requests because of it', () => {
    const r = rank('products-db', ev({ catalog: catalogFails, inventory: { score: 0.1, clientErrorRatioTo: { 'products-db': 0 } }, 'products-db': starved }));
    expect(r[0]?.service).toBe('catalog');
    expect(r[0]?.reason).toMatch(/products-db receives fewer requests than usual while catalog.*fails requests of its own/);
    expect(r.findIndex((c) => c.service === 'products-db')).toBeGreaterThan(0);
  });

  it('keeps a service that its callers cannot reach its own cause (it is down, not starved)', () => {
    const down = { ...catalogFails, clientErrorRatioTo: { 'products-db': 0.9 } };
    expect(rank('products-db', ev({ catalog: down, 'products-db': starved }))[0]?.service).toBe('products-db');
  });

  it('keeps a service whose own requests fail, or whose callers are fine, its own cause', () => {
    const failingItself = { ...starved, serverErrorRatio: 0.5, errorsUp: true };
    expect(rank('products-db', ev({ catalog: catalogFails, 'products-db': failingItself }))[0]?.service).toBe('products-db');
    const callerFine = { score: 0.2, serverErrorRatio: 0 };
    expect(rank('products-db', ev({ catalog: callerFine, 'products-db': starved }))[0]?.service).toBe('products-db');
  });

  it('does not blame a caller for a service that receives as many requests as usual', () => {
    expect(rank('products-db', ev({ catalog: catalogFails, 'products-db': { ...starved, demandDown: false } }))[0]?.service).toBe('products-db');
  });
});
