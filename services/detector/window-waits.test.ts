import { describe, expect, it } from 'vitest';
import type { ServiceScore } from '../../models/fleet/index.ts';
import { fakeDetectorState, scoredWindow } from '../../test/helpers/detector-state.ts';
import { CallGraph } from './call-graph.ts';
import { ClientCallLatency } from './client-call-latency.ts';
import type { DetectorState } from './detector-state.ts';
import { emitAll } from './window-round.ts';

const W = 2_000;
const T0 = Date.UTC(2026, 11, 6, 1);

/** A scored window of `service` ending at `T0 + k * W` (normal unless `over` says otherwise). */
function win(service: string, k: number, features: Record<string, number>, over: Partial<ServiceScore> = {}): ServiceScore {
  return scoredWindow({ service, endMs: T0 + k * W, windowMs: W, features, callees: service === 'catalog' ? ['products-db'] : [] }, over);
}

/** A fake detector state whose call graph summarises catalog's client calls as the detector's does. */
function withWaits(): { s: DetectorState; graph: CallGraph; events: ReturnType<typeof fakeDetectorState>['events'] } {
  const { s, events } = fakeDetectorState(W, T0);
  const graph = new CallGraph(undefined, { clientWaits: new ClientCallLatency({ bucketMs: W }) });
  (s as { graph: CallGraph }).graph = graph;
  return { s, graph, events };
}

/** catalog's calls to products-db in window `k`, each lasting `ms`. */
function calls(graph: CallGraph, k: number, ms: number, failed = false): void {
  for (let i = 0; i < 10; i++) graph.peer('catalog', 'products-db', T0 + (k - 1) * W + 100 * i, failed, ms);
}

describe('window round: a caller that waits for a stalled callee', () => {
  it("ranks the datastore first from catalog's client spans while its own windows only show fewer requests", async () => {
    const { s, graph, events } = withWaits();
    // Twelve normal windows: catalog's calls to products-db take 20 ms; the pair learns its baseline.
    for (let k = 1; k <= 12; k++) {
      calls(graph, k, 20);
      await emitAll(s, [win('catalog', k, { request_rate: 10, error_ratio: 0 }), win('products-db', k, { request_rate: 10, error_ratio: 0 })]);
    }
    // Window 13: the pool is exhausted. catalog's requests fail and its calls to products-db took 3 s (each waited for a
    // slot); products-db answered almost nothing that ended in this window (its requests are still waiting).
    calls(graph, 13, 3_000, true);
    await emitAll(s, [
      win(
        'catalog',
        13,
        { request_rate: 6, error_ratio: 0.5 },
        {
          score: 1,
          evidence: [{ feature: 'error_ratio', observed: 0.5, expected: 0, deviation: 30 }],
          transition: 'open',
          episodeId: `catalog:${T0 + 12 * W}:1`,
          // An old episode (opened on runtime-metric noise long before): its clock does not keep the cause from it.
          openedAtMs: T0 - 100 * W,
          peak: 1,
          severity: 'critical',
          emit: true,
        },
      ),
      win('products-db', 13, { request_rate: 1, error_ratio: 0 }),
    ]);
    const catalog = events.find((e) => e.service === 'catalog');
    expect(catalog?.rootCauses[0]?.service).toBe('products-db');
    expect(catalog?.rootCauses[0]?.reason).toMatch(/catalog's calls to it take \d+ ms longer than usual \(latency_p95_ms, stalled\)/);
    expect(catalog?.attributes['zeroops.root_cause_role']).toBe('symptom');
  });

  it('learns no wait from windows inside the caller’s episode: a stall that goes on stays a stall', async () => {
    const { s, graph, events } = withWaits();
    for (let k = 1; k <= 12; k++) {
      calls(graph, k, 20);
      await emitAll(s, [win('catalog', k, { request_rate: 10, error_ratio: 0 })]);
    }
    const failing = (k: number) =>
      win(
        'catalog',
        k,
        { request_rate: 6, error_ratio: 0.5 },
        {
          score: 1,
          evidence: [{ feature: 'error_ratio', observed: 0.5, expected: 0, deviation: 30 }],
          transition: k === 13 ? 'open' : 'ongoing',
          episodeId: `catalog:${T0 + 12 * W}:1`,
          openedAtMs: T0 + 12 * W,
          peak: 1,
          severity: 'critical',
          emit: true,
        },
      );
    for (let k = 13; k <= 60; k++) {
      calls(graph, k, 3_000, true);
      await emitAll(s, [failing(k)]);
    }
    const last = events.filter((e) => e.service === 'catalog').at(-1);
    expect(last?.rootCauses[0]?.service).toBe('products-db');
  });
});
