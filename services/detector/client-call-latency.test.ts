import { describe, expect, it } from 'vitest';
import { encodeResource } from '../otlp/index.ts';
import { CallGraph } from './call-graph.ts';
import { ClientCallLatency, quantileOf, WAIT_BUCKETS } from './client-call-latency.ts';
import { type IngestCounts, ingestSpans } from './ingest.ts';
import { ServiceWindows } from './service-windows.ts';

const W = 2_000;

/** `n` calls of `caller` to `callee` in window `k`, lasting `ms(i)`. */
function calls(c: ClientCallLatency, caller: string, callee: string, k: number, n: number, ms: (i: number) => number): void {
  for (let i = 0; i < n; i++) c.record(caller, callee, k * W + 10 + i, ms(i));
}

describe('client-call waits per caller and callee', () => {
  it('places quantiles of a window within the histogram resolution', () => {
    const c = new ClientCallLatency({ bucketMs: W, minWindows: 0 });
    calls(c, 'catalog', 'products-db', 0, 100, (i) => i + 1);
    const q = c.settle('catalog', 0, W, false)['products-db']?.observedMs;
    expect(q?.latency_p50_ms).toBeGreaterThan(50 / 1.5);
    expect(q?.latency_p50_ms).toBeLessThan(50 * 1.5);
    expect(q?.latency_p95_ms).toBeGreaterThan(95 / 1.5);
    expect(q?.latency_p95_ms).toBeLessThan(95 * 1.5);
    const one = new Uint32Array(WAIT_BUCKETS);
    one[0] = 4;
    expect(quantileOf(one, 4, 0.5)).toBeLessThan(1);
  });

  it('reports a rise only once the pair has a baseline, and learns no window it is told not to (inside an episode)', () => {
    const c = new ClientCallLatency({ bucketMs: W, minWindows: 5 });
    for (let k = 0; k < 5; k++) {
      calls(c, 'catalog', 'products-db', k, 20, () => 20);
      expect(c.settle('catalog', k * W, (k + 1) * W, true)).toEqual({});
    }
    // A stall: calls take 3 s. Reported against the learned ~20 ms, and not learned.
    for (let k = 5; k < 8; k++) {
      calls(c, 'catalog', 'products-db', k, 20, () => 3_000);
      const w = c.settle('catalog', k * W, (k + 1) * W, false)['products-db'];
      expect(w?.expectedMs.latency_p50_ms).toBeGreaterThan(20 / 1.5);
      expect(w?.expectedMs.latency_p50_ms).toBeLessThan(20 * 1.5);
      expect(w?.observedMs.latency_p50_ms).toBeGreaterThan(2_000);
    }
    // Too few calls in a window: nothing said.
    calls(c, 'catalog', 'products-db', 9, 2, () => 3_000);
    expect(c.settle('catalog', 9 * W, 10 * W, true)).toEqual({});
  });

  it('keeps a bounded number of callees per caller and of window summaries per pair, and forgets a caller', () => {
    const c = new ClientCallLatency({ bucketMs: W, maxCalleesPerCaller: 3, keepBuckets: 2, minWindows: 0 });
    for (const callee of ['a', 'b', 'c', 'd']) calls(c, 'x', callee, 0, 3, () => 5);
    expect(c.calleesOf('x')).toEqual(['b', 'c', 'd']);
    for (let k = 1; k < 6; k++) calls(c, 'x', 'd', k, 3, () => 5);
    // Only the last two windows are kept: the first ones are gone, and a call far in the past is dropped.
    expect(c.settle('x', W, 2 * W, false)).toEqual({});
    calls(c, 'x', 'd', 1, 3, () => 5);
    expect(c.settle('x', W, 2 * W, false)).toEqual({});
    expect(Object.keys(c.settle('x', 5 * W, 6 * W, false))).toEqual(['d']);
    c.forget('x');
    expect(c.calleesOf('x')).toEqual([]);
  });

  it('the call graph records the duration of peer.service calls and gives them back per closed window', () => {
    const waits = new ClientCallLatency({ bucketMs: W, minWindows: 1 });
    const graph = new CallGraph(undefined, { clientWaits: waits });
    for (let i = 0; i < 5; i++) graph.peer('catalog', 'products-db', 10 + i, false, 20);
    expect(graph.clientWaits('catalog', 0, W, true)).toEqual({});
    for (let i = 0; i < 5; i++) graph.peer('catalog', 'products-db', W + 10 + i, true, 3_000);
    expect(graph.clientWaits('catalog', W, 2 * W, false)['products-db']?.observedMs.latency_p50_ms).toBeGreaterThan(2_000);
    expect(graph.callees('catalog', 0)).toEqual(['products-db']);
    expect(new CallGraph().clientWaits('catalog', 0, W, true)).toEqual({});
  });

  it('ingest gives the call graph the duration of every client span named by peer.service', () => {
    const t0 = Date.UTC(2026, 11, 6, 1);
    const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);
    const waits = new ClientCallLatency({ bucketMs: W, minWindows: 0 });
    const client = (i: number, ms: number) => ({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: `b7ad6b71692033${String(i).padStart(2, '0')}`,
      name: 'GET',
      kind: 3,
      startTimeUnixNano: ns(t0 + 100 + i),
      endTimeUnixNano: ns(t0 + 100 + i + ms),
      attributes: [{ key: 'peer.service', value: { stringValue: 'products-db' } }],
    });
    const bytes = encodeResource('traces', {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'catalog' } }] },
      scopeSpans: [{ spans: [0, 1, 2, 3].map((i) => client(i, 1_200)) }],
    });
    ingestSpans(bytes, new ServiceWindows(W, 0, () => t0), new Map() as IngestCounts, new CallGraph(undefined, { clientWaits: waits }));
    const w = waits.settle('catalog', t0, t0 + W, false)['products-db'];
    expect(w?.observedMs.latency_p50_ms).toBeGreaterThan(1_200 / 1.5);
    expect(w?.observedMs.latency_p50_ms).toBeLessThan(1_200 * 1.5);
  });
});
