import { describe, expect, it } from 'vitest';
import { demandEntry, SPECIFIC_DEMAND_RATIO } from './demand-entry.ts';
import { type RankInput, rankRootCauses, type ServiceEvidence } from './rank.ts';

const NOW = Date.UTC(2026, 11, 6, 1);
const t = NOW - 30_000;
/** The demo's shop: frontend (the edge, where the load generator's requests arrive) -> gateway -> catalog / cart -> their datastores. */
const GRAPH: Record<string, string[]> = { frontend: ['gateway'], gateway: ['catalog', 'cart'], catalog: ['products-db'], cart: ['sessions-db'] };
const callees = (s: string) => GRAPH[s] ?? [];
const top = (target: string, evidence: Map<string, ServiceEvidence>) => rankRootCauses({ target, callees, evidence }, 5, NOW)[0];
/** A quiet service receiving `ratio` times the requests its baseline expects (extra demand when at least 1.5). */
const demand = (ratio: number, over: Partial<ServiceEvidence> = {}): ServiceEvidence => ({ score: 0.1, demandUp: ratio >= 1.5, demandRatio: ratio, ...over });
const slowDb = (ratio: number): ServiceEvidence => demand(ratio, { score: 0.95, openedAtMs: t, slowOnly: true, deviation: 12 });

describe('where extra demand enters', () => {
  it('a memory leak on gateway stays its own cause when the whole system receives 1.6x its warm-up baselines (it ranked frontend first)', () => {
    // A warm-up on a busy host learned half the demand; on a quieter host frontend and gateway receive 1.6x "more than
    // usual". The leak makes gateway fail; frontend fails the calls it makes to gateway.
    const evidence = new Map<string, ServiceEvidence>([
      ['frontend', demand(1.6, { score: 0.9, openedAtMs: t + 10_000, errorsUp: true, serverErrorRatio: 0.3, clientErrorRatioTo: { gateway: 0.3 } })],
      ['gateway', demand(1.6, { score: 0.95, openedAtMs: t, errorsUp: true, serverErrorRatio: 0.3 })],
      ['catalog', demand(1.6)],
      ['cart', demand(1.6)],
    ]);
    expect(top('gateway', evidence)?.service).toBe('gateway');
    expect(top('frontend', evidence)?.service).toBe('gateway');
  });

  it('a datastore slowed while every service upstream receives as much more as it does is its own cause (no service is where it enters)', () => {
    const evidence = new Map([
      ['frontend', demand(1.7)],
      ['gateway', demand(1.6)],
      ['catalog', demand(1.6)],
      ['products-db', slowDb(1.6)],
    ]);
    expect(top('products-db', evidence)?.service).toBe('products-db');
  });

  it('a surge sent to catalog is still where the demand enters when the edge also looks 1.6x busier', () => {
    const evidence = new Map([
      ['frontend', demand(1.6)],
      ['gateway', demand(1.6)],
      ['catalog', demand(4)],
      ['products-db', slowDb(4)],
    ]);
    const r = top('products-db', evidence);
    expect(r?.service).toBe('catalog');
    expect(r?.reason).toMatch(/where the extra demand enters/);
  });

  it('a surge sent to gateway (its caller receives as usual) is where the demand on catalog enters', () => {
    const evidence = new Map([
      ['frontend', demand(1)],
      ['gateway', demand(4)],
      ['catalog', demand(4, { score: 0.9, openedAtMs: t, slowOnly: true, deviation: 9 })],
    ]);
    expect(top('catalog', evidence)?.service).toBe('gateway');
  });

  it('a surge sent to the datastore itself is its own, whatever its callers receive', () => {
    const evidence = new Map([
      ['frontend', demand(1.6)],
      ['gateway', demand(1.6)],
      ['catalog', demand(1.6)],
      ['products-db', slowDb(4)],
    ]);
    expect(top('products-db', evidence)?.service).toBe('products-db');
  });

  it('without the rises (evidence of another detector instance) the highest caller with extra demand is the entry, as before', () => {
    const input: RankInput = {
      target: 'products-db',
      callees,
      evidence: new Map<string, ServiceEvidence>([
        ['frontend', { score: 0.1, demandUp: true }],
        ['catalog', { score: 0.1, demandUp: true, demandRatio: 2 }],
        ['products-db', slowDb(2)],
      ]),
    };
    expect(demandEntry(['products-db', 'catalog', 'frontend'], input)).toBe('frontend');
    expect(demandEntry(['products-db'], input)).toBeUndefined();
    expect(SPECIFIC_DEMAND_RATIO).toBe(1.5);
  });
});
