/**
 * Per caller and callee, how many client calls were made and how many failed,
 * in time buckets of one window. A service that is down emits no spans of
 * its own; its callers' failing client spans (named by their `peer.service`)
 * are the only evidence against it, and root-cause ranking reads them here.
 */

/** Settings of a {@link ClientCallErrors}. */
export interface ClientCallErrorsOptions {
  /** Bucket length (the detector window), ms. */
  bucketMs: number;
  /** Buckets kept per caller and callee. Default 12. */
  keepBuckets?: number;
  /** Most callers tracked; the least recently seen goes first. Default 10,000. */
  maxCallers?: number;
  /** Calls needed in a span of time before a ratio is reported. Default 3. */
  minCalls?: number;
}

/** Per bucket start: [calls, failed]. */
type Buckets = Map<number, [number, number]>;

/** Client-call counts per caller and callee; see the module comment. */
export class ClientCallErrors {
  private readonly callers = new Map<string, Map<string, Buckets>>();
  private readonly keep: number;
  private readonly maxCallers: number;
  private readonly minCalls: number;

  constructor(private readonly opts: ClientCallErrorsOptions) {
    this.keep = opts.keepBuckets ?? 12;
    this.maxCallers = opts.maxCallers ?? 10_000;
    this.minCalls = opts.minCalls ?? 3;
  }

  /** One client call of `caller` to `callee` that ended at `endMs`. */
  record(caller: string, callee: string, endMs: number, failed: boolean): void {
    let callees = this.callers.get(caller);
    if (callees) this.callers.delete(caller);
    else callees = new Map();
    this.callers.set(caller, callees);
    if (this.callers.size > this.maxCallers) this.callers.delete(this.callers.keys().next().value as string);
    const buckets = callees.get(callee) ?? new Map<number, [number, number]>();
    callees.set(callee, buckets);
    const start = Math.floor(endMs / this.opts.bucketMs) * this.opts.bucketMs;
    const b = buckets.get(start) ?? [0, 0];
    b[0] += 1;
    if (failed) b[1] += 1;
    buckets.set(start, b);
    const oldest = start - this.keep * this.opts.bucketMs;
    if (buckets.size > this.keep) for (const k of buckets.keys()) if (k < oldest) buckets.delete(k);
  }

  /** Per callee: the share of `caller`'s calls that failed among those ending in [startMs, endMs) (callees with too few calls left out). */
  ratios(caller: string, startMs: number, endMs: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [callee, buckets] of this.callers.get(caller) ?? []) {
      let n = 0;
      let failed = 0;
      for (const [start, [c, f]] of buckets) {
        if (start + this.opts.bucketMs <= startMs || start >= endMs) continue;
        n += c;
        failed += f;
      }
      if (n >= this.minCalls) out[callee] = failed / n;
    }
    return out;
  }

  /** Forgets `caller` (evicted when idle). */
  forget(caller: string): void {
    this.callers.delete(caller);
  }
}
