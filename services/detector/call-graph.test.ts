import { describe, expect, it } from 'vitest';
import { type CallEdge, CallGraph } from './call-graph.ts';

function recording(options = {}) {
  const edges: [CallEdge, boolean][] = [];
  const graph = new CallGraph((e, remote) => edges.push([e, remote]), options);
  return { graph, edges };
}

describe('CallGraph', () => {
  it('pairs a client span with the server span it parents, whichever arrives first', () => {
    const { graph, edges } = recording();
    graph.client('c1', 'web');
    graph.server('c1', 'db', 1_000);
    graph.server('c2', 'cache', 2_000);
    graph.client('c2', 'web');
    expect(edges).toEqual([
      [{ caller: 'web', callee: 'db', atMs: 1_000 }, false],
      [{ caller: 'web', callee: 'cache', atMs: 2_000 }, false],
    ]);
    expect(graph.callees('web', 0)).toEqual(['cache', 'db']);
    expect(graph.callees('web', 1_500)).toEqual(['cache']);
    expect(graph.callees('db', 0)).toEqual([]);
  });

  it('marks an edge failed when its server span or its client span (peer.service) has error status', () => {
    const { graph, edges } = recording();
    graph.client('c1', 'web');
    graph.server('c1', 'db', 1_000, false, true);
    graph.server('c2', 'cache', 2_000, false, true);
    graph.client('c2', 'web');
    graph.peer('web', 'search', 3_000, true);
    graph.peer('web', 'search', 3_500);
    expect(edges).toEqual([
      [{ caller: 'web', callee: 'db', atMs: 1_000, failed: true }, false],
      [{ caller: 'web', callee: 'cache', atMs: 2_000, failed: true }, false],
      [{ caller: 'web', callee: 'search', atMs: 3_000, failed: true }, false],
      [{ caller: 'web', callee: 'search', atMs: 3_500 }, false],
    ]);
  });

  it('offers only the server halves still unmatched as hints, a few per callee, once', () => {
    const { graph } = recording({ hintsPerCallee: 2 });
    graph.server('p1', 'db', 1);
    graph.server('p2', 'db', 2);
    graph.server('p3', 'db', 3);
    graph.server('p4', 'cache', 4);
    graph.client('p2', 'web');
    expect(graph.takeHints()).toEqual([
      { parentSpanId: 'p1', callee: 'db', endUnixMs: 1 },
      { parentSpanId: 'p4', callee: 'cache', endUnixMs: 4 },
    ]);
    expect(graph.takeHints()).toEqual([]);
  });

  it('turns a hint from another instance into an edge when it holds the client span, and never re-offers it', () => {
    const { graph, edges } = recording();
    graph.client('c9', 'checkout');
    graph.server('c9', 'payments', 5_000, true);
    graph.server('zz', 'payments', 6_000, true);
    expect(edges).toEqual([[{ caller: 'checkout', callee: 'payments', atMs: 5_000 }, true]]);
    expect(graph.takeHints()).toEqual([]);
    // a hint that arrived before its client span pairs when the span comes
    graph.client('zz', 'cart');
    expect(edges.at(-1)).toEqual([{ caller: 'cart', callee: 'payments', atMs: 6_000 }, false]);
  });

  it('ignores calls of a service to itself and keeps its memory bounded', () => {
    const { graph, edges } = recording({ maxSpans: 2, maxCalleesPerCaller: 2 });
    graph.client('a', 'web');
    graph.server('a', 'web', 1);
    expect(edges).toEqual([]);
    graph.client('b', 'web');
    graph.client('c', 'web');
    graph.client('d', 'web');
    graph.server('b', 'db', 2); // evicted: only the 2 newest client spans are remembered
    graph.server('c', 'db', 3);
    graph.server('d', 'queue', 4);
    graph.peer('web', 'search', 5);
    expect(edges.map(([e]) => e.callee)).toEqual(['db', 'queue', 'search']);
    expect(graph.callees('web', 0)).toEqual(['queue', 'search']);
  });
});
