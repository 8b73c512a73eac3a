/**
 * How long each caller waits for each callee: the durations of its client
 * spans named by `peer.service`, per caller and callee, in fixed-size
 * summaries of one window each, against a per-pair baseline.
 *
 * A caller's client span to a callee times what the caller waits for (the
 * callee's queue and connection pool, the network, the callee's work). When
 * a callee stalls (its pool is exhausted), its own server spans end, and are
 * counted, only when a request finally gets through or times out; its
 * callers already wait longer, and their client spans say so. Root-cause
 * ranking reads the rise of those waits over their baseline
 * (models/root-cause/inherited-latency.ts).
 *
 * Memory is bounded per caller: at most `maxCalleesPerCaller` callees, each
 * with `keepBuckets` window summaries of {@link WAIT_BUCKETS} 32-bit counters
 * (a log histogram: a quantile is placed within a factor 1.5, interpolated
 * inside it) and a baseline of three numbers, whatever the call rate: about
 * 0.6 KB per callee with 4 summaries, so at most about 5 KB per caller with
 * the defaults (the detector keeps two more summaries than windows of
 * lateness: 3 with 10 s windows and 5 s of lateness, 5 with 2 s windows). Not checkpointed: after a restart the baselines are learned
 * again (`minWindows` windows before a rise is reported).
 */

/** Number of log-spaced counters of a window summary: [0, 1) ms, then [1.5^(i-1), 1.5^i) ms; the last one is open-ended (above ~57 s). */
export const WAIT_BUCKETS = 28;
const BASE = 1.5;
const LOG_BASE = Math.log(BASE);

/** The latency features the waits are compared in, with their quantile. */
const QUANTILES = [
  ['latency_p50_ms', 0.5],
  ['latency_p95_ms', 0.95],
  ['latency_p99_ms', 0.99],
] as const;

/** A caller's calls to one callee in one window: their quantiles and what the pair's baseline expected, per latency feature, ms. */
export interface CallWaitSummary {
  observedMs: Record<string, number>;
  expectedMs: Record<string, number>;
}

/** Settings of a {@link ClientCallLatency}. */
export interface ClientCallLatencyOptions {
  /** Summary length (the detector window), ms. */
  bucketMs: number;
  /** Window summaries kept per caller and callee (the windows still open, with their lateness). Default 4. */
  keepBuckets?: number;
  /** Most callers tracked; the least recently seen goes first. Default 10,000. */
  maxCallers?: number;
  /** Most callees tracked per caller; the least recently called goes first. Default 8. */
  maxCalleesPerCaller?: number;
  /** Calls a window needs to be compared or learned. Default 3. */
  minCalls?: number;
  /** Windows learned before a rise is reported. Default 10. */
  minWindows?: number;
  /** Weight of a new window in the baseline once it has `minWindows`. Default 0.05. */
  alpha?: number;
}

/** Counter index of a duration. */
function bucketOf(ms: number): number {
  if (!(ms >= 1)) return 0;
  return Math.min(WAIT_BUCKETS - 1, 1 + Math.floor(Math.log(ms) / LOG_BASE));
}

/** Lower bound of counter `i`, ms. */
function lowerOf(i: number): number {
  return i === 0 ? 0 : BASE ** (i - 1);
}

/** One window of one caller-callee pair. */
interface Summary {
  start: number;
  count: number;
  counts: Uint32Array;
}

/** The quantile `q` of a summary, ms, interpolated within its counter (geometrically above 1 ms). */
export function quantileOf(counts: Uint32Array, total: number, q: number): number {
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] as number;
    if (c === 0 || seen + c < rank) {
      seen += c;
      continue;
    }
    const frac = Math.min(1, Math.max(0, (rank - seen) / c));
    if (i === 0) return frac;
    const lo = lowerOf(i);
    return lo * BASE ** frac;
  }
  return lowerOf(counts.length - 1);
}

/** A caller-callee pair: its recent window summaries and the baseline of its quantiles. */
interface Pair {
  summaries: Summary[];
  /** Windows learned. */
  n: number;
  /** Expected quantile per feature of {@link QUANTILES}, ms. */
  expected: [number, number, number];
}

/** Client-call durations per caller and callee; see the module comment. */
export class ClientCallLatency {
  private readonly callers = new Map<string, Map<string, Pair>>();
  private readonly keep: number;
  private readonly maxCallers: number;
  private readonly maxCallees: number;
  private readonly minCalls: number;
  private readonly minWindows: number;
  private readonly alpha: number;

  constructor(private readonly opts: ClientCallLatencyOptions) {
    this.keep = opts.keepBuckets ?? 4;
    this.maxCallers = opts.maxCallers ?? 10_000;
    this.maxCallees = opts.maxCalleesPerCaller ?? 8;
    this.minCalls = opts.minCalls ?? 3;
    this.minWindows = opts.minWindows ?? 10;
    this.alpha = opts.alpha ?? 0.05;
  }

  /** One client call of `caller` to `callee` that ended at `endMs` and took `durationMs`. */
  record(caller: string, callee: string, endMs: number, durationMs: number): void {
    if (!(durationMs >= 0) || !Number.isFinite(endMs)) return;
    let callees = this.callers.get(caller);
    if (callees) this.callers.delete(caller);
    else callees = new Map();
    this.callers.set(caller, callees);
    if (this.callers.size > this.maxCallers) this.callers.delete(this.callers.keys().next().value as string);
    let pair = callees.get(callee);
    if (pair) callees.delete(callee);
    else pair = { summaries: [], n: 0, expected: [0, 0, 0] };
    callees.set(callee, pair);
    if (callees.size > this.maxCallees) callees.delete(callees.keys().next().value as string);
    const start = Math.floor(endMs / this.opts.bucketMs) * this.opts.bucketMs;
    let sum = pair.summaries.find((x) => x.start === start);
    if (!sum) {
      // Bounded: the oldest summary gives its place (a call that ends far in the past is dropped instead).
      if (pair.summaries.length >= this.keep) {
        const oldest = pair.summaries.reduce((a, b) => (a.start <= b.start ? a : b));
        if (oldest.start > start) return;
        pair.summaries.splice(pair.summaries.indexOf(oldest), 1);
      }
      sum = { start, count: 0, counts: new Uint32Array(WAIT_BUCKETS) };
      pair.summaries.push(sum);
    }
    sum.count++;
    sum.counts[bucketOf(durationMs)] = (sum.counts[bucketOf(durationMs)] as number) + 1;
  }

  /**
   * Closes `caller`'s window [startMs, endMs): per callee with enough calls
   * in it and a learned baseline, how long its calls took and what the
   * baseline expected, per latency feature (ms). When `learn`, the window is
   * then folded into the baselines (the caller's window is not inside an
   * open episode: an ongoing fault is never learned as normal); once the
   * baseline is learned, a window counts for at most four times the
   * expectation (one slow window moves it little).
   */
  settle(caller: string, startMs: number, endMs: number, learn: boolean): Record<string, CallWaitSummary> {
    const out: Record<string, CallWaitSummary> = {};
    for (const [callee, pair] of this.callers.get(caller) ?? []) {
      const q = this.windowQuantiles(pair, startMs, endMs);
      if (q === undefined) continue;
      if (pair.n >= this.minWindows) {
        const observedMs: Record<string, number> = {};
        const expectedMs: Record<string, number> = {};
        QUANTILES.forEach(([feature], i) => {
          observedMs[feature] = Math.round((q[i] as number) * 10) / 10;
          expectedMs[feature] = Math.round(pair.expected[i as 0 | 1 | 2] * 10) / 10;
        });
        out[callee] = { observedMs, expectedMs };
      }
      if (!learn) continue;
      const a = pair.n >= this.minWindows ? this.alpha : 1 / (pair.n + 1);
      for (let i = 0; i < 3; i++) {
        const e = pair.expected[i as 0 | 1 | 2];
        const x = pair.n >= this.minWindows ? Math.min(q[i] as number, 4 * e) : (q[i] as number);
        pair.expected[i as 0 | 1 | 2] = e + a * (x - e);
      }
      pair.n++;
    }
    return out;
  }

  /** Forgets `caller` (evicted when idle). */
  forget(caller: string): void {
    this.callers.delete(caller);
  }

  /** Callees tracked for `caller` (for tests of the bound). */
  calleesOf(caller: string): string[] {
    return [...(this.callers.get(caller)?.keys() ?? [])];
  }

  /** The window's p50, p95 and p99 over the summaries in [startMs, endMs), or undefined with too few calls. */
  private windowQuantiles(pair: Pair, startMs: number, endMs: number): number[] | undefined {
    const counts = new Uint32Array(WAIT_BUCKETS);
    let total = 0;
    for (const s of pair.summaries) {
      if (s.start + this.opts.bucketMs <= startMs || s.start >= endMs) continue;
      total += s.count;
      for (let i = 0; i < WAIT_BUCKETS; i++) counts[i] = (counts[i] as number) + (s.counts[i] as number);
    }
    if (total < this.minCalls) return undefined;
    return QUANTILES.map(([, q]) => quantileOf(counts, total, q));
  }
}
