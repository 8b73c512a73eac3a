import { describe, expect, it } from 'vitest';
import { CallGraph } from './call-graph.ts';
import { ClientCallErrors } from './client-call-errors.ts';

describe('client-call errors per caller and callee', () => {
  it('reports the share of failed calls per callee within a time span, leaving out callees with too few calls', () => {
    const c = new ClientCallErrors({ bucketMs: 1000 });
    for (let i = 0; i < 10; i++) c.record('gateway', 'cart', 5_000 + i * 50, i < 7);
    for (let i = 0; i < 10; i++) c.record('gateway', 'catalog', 5_000 + i * 50, false);
    c.record('gateway', 'checkout', 5_100, true);
    expect(c.ratios('gateway', 5_000, 6_000)).toEqual({ cart: 0.7, catalog: 0 });
    expect(c.ratios('gateway', 6_000, 7_000)).toEqual({});
    expect(c.ratios('frontend', 5_000, 6_000)).toEqual({});
  });

  it('keeps a bounded number of buckets and forgets a caller', () => {
    const c = new ClientCallErrors({ bucketMs: 1000, keepBuckets: 3 });
    for (let s = 0; s < 10; s++) for (let i = 0; i < 3; i++) c.record('a', 'b', s * 1000 + i, true);
    expect(c.ratios('a', 0, 2_000)).toEqual({});
    expect(c.ratios('a', 9_000, 10_000)).toEqual({ b: 1 });
    c.forget('a');
    expect(c.ratios('a', 9_000, 10_000)).toEqual({});
  });

  it('the call graph counts peer.service calls with their failures and names the callee as an edge', () => {
    const graph = new CallGraph(undefined, { clientCalls: new ClientCallErrors({ bucketMs: 1000 }) });
    for (let i = 0; i < 4; i++) graph.peer('gateway', 'cart', 2_000 + i, true);
    expect(graph.callees('gateway', 0)).toEqual(['cart']);
    expect(graph.clientErrorRatios('gateway', 2_000, 3_000)).toEqual({ cart: 1 });
    expect(new CallGraph().clientErrorRatios('gateway', 2_000, 3_000)).toEqual({});
  });
});
