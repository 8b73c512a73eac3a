/**
 * The service call graph from client/server span pairs. A pair is one client
 * span of the caller and one server span of the callee whose parent is that
 * client span; the two halves arrive in either order (each service's SDK
 * exports on its own schedule) and, with several detector instances, often
 * at different instances (each owns the partitions of its own services).
 *
 * So both halves wait for each other here, in bounded maps, and the server
 * halves that find no client locally are offered as hints to the other
 * instances ({@link CallGraph.takeHints}); an instance that receives a hint
 * ({@link CallGraph.server} with `remote`) pairs it with its own client spans.
 * Edges are remembered per caller with the time they were last seen, so
 * that root-cause ranking can use the callees of a recent past rather than
 * only those of one window.
 */
import type { CallHint } from '../bus/messages.ts';
import type { ClientCallErrors } from './client-call-errors.ts';
import type { CallWaitSummary, ClientCallLatency } from './client-call-latency.ts';

/** An edge found: `caller` called `callee` around `atMs`. */
export interface CallEdge {
  caller: string;
  callee: string;
  atMs: number;
  /** The call failed (the client span, or the matched server span, has error status). */
  failed?: boolean;
}

/** An edge, marked `failed` only when it failed. */
function edgeOf(caller: string, callee: string, atMs: number, failed: boolean): CallEdge {
  return failed ? { caller, callee, atMs, failed } : { caller, callee, atMs };
}

/** Settings of a {@link CallGraph}. */
export interface CallGraphOptions {
  /** Most client spans and most unmatched server spans remembered (each). Default 50,000. */
  maxSpans?: number;
  /** Most hints offered per callee between two {@link CallGraph.takeHints} calls. Default 8. */
  hintsPerCallee?: number;
  /** Most callees remembered per caller. Default 256. */
  maxCalleesPerCaller?: number;
  /** Where client calls named by `peer.service` are counted, with their failures (root-cause evidence against a callee that is down). */
  clientCalls?: ClientCallErrors;
  /** Where the durations of those client calls are summarised per caller and callee (how long a caller waits for each callee). */
  clientWaits?: ClientCallLatency;
}

interface Pending {
  callee: string;
  endMs: number;
  failed: boolean;
}

/** Bounded insertion-ordered map: the oldest entry goes when full. */
function boundedSet<V>(map: Map<string, V>, cap: number, key: string, value: V): void {
  if (!map.has(key) && map.size >= cap) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
  map.set(key, value);
}

/** Call graph state of one detector instance; see the module comment. */
export class CallGraph {
  private readonly clients = new Map<string, string>();
  private readonly pending = new Map<string, Pending>();
  private readonly edges = new Map<string, Map<string, number>>();
  private hints: CallHint[] = [];
  private hintsByCallee = new Map<string, number>();
  private readonly maxSpans: number;
  private readonly hintsPerCallee: number;
  private readonly maxCallees: number;

  /** @param onEdge called for every edge found (e.g. to add the callee to the caller's open window). */
  constructor(
    private readonly onEdge: (edge: CallEdge, remote: boolean) => void = () => {},
    private readonly options: CallGraphOptions = {},
  ) {
    this.maxSpans = options.maxSpans ?? 50_000;
    this.hintsPerCallee = options.hintsPerCallee ?? 8;
    this.maxCallees = options.maxCalleesPerCaller ?? 256;
  }

  /** A client (or producer) span `spanId` of `caller`: pairs with a server half already waiting. */
  client(spanId: string, caller: string): void {
    const waiting = this.pending.get(spanId);
    if (waiting) {
      this.pending.delete(spanId);
      this.edge(edgeOf(caller, waiting.callee, waiting.endMs, waiting.failed), false);
      return;
    }
    boundedSet(this.clients, this.maxSpans, spanId, caller);
  }

  /**
   * A server (or consumer) span of `callee` whose parent is `parentSpanId`,
   * ending at `endMs`; `remote` when another instance sent it as a hint;
   * `failed` when the span has error status. Local halves without their
   * client become hints for the others.
   */
  server(parentSpanId: string, callee: string, endMs: number, remote = false, failed = false): void {
    const caller = this.clients.get(parentSpanId);
    if (caller !== undefined) {
      this.edge(edgeOf(caller, callee, endMs, failed), remote);
      return;
    }
    boundedSet(this.pending, this.maxSpans, parentSpanId, { callee, endMs, failed });
    if (remote) return;
    const n = this.hintsByCallee.get(callee) ?? 0;
    if (n >= this.hintsPerCallee) return;
    this.hintsByCallee.set(callee, n + 1);
    this.hints.push({ parentSpanId, callee, endUnixMs: endMs });
  }

  /** The server halves still unmatched since the last call (at most `hintsPerCallee` per callee), and forgets them as hints. */
  takeHints(): CallHint[] {
    const out = this.hints.filter((h) => this.pending.has(h.parentSpanId));
    this.hints = [];
    this.hintsByCallee = new Map();
    return out;
  }

  /**
   * An edge named by the caller itself (a client span's `peer.service`);
   * `failed` when the client span has error status; `durationMs`, when
   * known, is how long the caller waited for the callee.
   */
  peer(caller: string, callee: string, atMs: number, failed = false, durationMs?: number): void {
    this.edge(edgeOf(caller, callee, atMs, failed), false);
    this.options.clientCalls?.record(caller, callee, atMs, failed);
    if (durationMs !== undefined) this.options.clientWaits?.record(caller, callee, atMs, durationMs);
  }

  /**
   * Per callee named by `peer.service`: how long `caller`'s calls to it took
   * in its window [startMs, endMs) and what their baseline expected, per
   * latency feature, ms; then, when `learn`, folds the window into the
   * baselines. Call once per closed window of the caller (see
   * {@link ClientCallLatency.settle}).
   */
  clientWaits(caller: string, startMs: number, endMs: number, learn: boolean): Record<string, CallWaitSummary> {
    return this.options.clientWaits?.settle(caller, startMs, endMs, learn) ?? {};
  }

  /** Per callee named by `peer.service`: the share of `caller`'s calls to it that failed in [startMs, endMs). */
  clientErrorRatios(caller: string, startMs: number, endMs: number): Record<string, number> {
    return this.options.clientCalls?.ratios(caller, startMs, endMs) ?? {};
  }

  /** Callees `caller` was seen calling at or after `sinceMs`, sorted. */
  callees(caller: string, sinceMs: number): string[] {
    const seen = this.edges.get(caller);
    if (!seen) return [];
    const out: string[] = [];
    for (const [callee, at] of seen) if (at >= sinceMs) out.push(callee);
    return out.sort();
  }

  /** Forgets the callees of `caller` (evicted when idle); its spans still waiting expire with the bounded maps. */
  forget(caller: string): void {
    this.edges.delete(caller);
    this.options.clientCalls?.forget(caller);
    this.options.clientWaits?.forget(caller);
  }

  /** Number of callers with remembered callees. */
  callers(): number {
    return this.edges.size;
  }

  private edge(e: CallEdge, remote: boolean): void {
    if (e.caller === e.callee) return;
    let seen = this.edges.get(e.caller);
    if (!seen) {
      seen = new Map();
      this.edges.set(e.caller, seen);
    }
    boundedSet(seen, this.maxCallees, e.callee, Math.max(seen.get(e.callee) ?? Number.NEGATIVE_INFINITY, e.atMs));
    this.onEdge(e, remote);
  }
}
