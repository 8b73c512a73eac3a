import type { Logger, Telemetry } from '../core/index.ts';
import type { Signal } from '../otlp/index.ts';
import type { ByteBudget, Lease } from './byte-budget.ts';
import { IngestError } from './ingest.ts';

/** The transport an OTLP request came by, as counted in `zeroops.collector.requests{transport}`. */
export type Transport = 'http' | 'grpc';

/** One OTLP request as both receivers see it while handling it. */
export interface IngestCall {
  /** The request's signal, set by the receiver once its path or method names it (`unknown` before). */
  signal: Signal | 'unknown';
  /** The request's share of the in-flight byte budget; see {@link releaseUnlessBusOwns} for who releases it. */
  readonly lease: Lease;
  /** `performance.now()` when the request arrived. */
  readonly startedAt: number;
}

/**
 * The lease rule: after a bus failure (`bus_unavailable`) the ingest step
 * still owns the lease, because the records may yet be in flight and it
 * releases it when the bus settles them; after any other outcome the caller
 * releases it here.
 */
export function releaseUnlessBusOwns(err: unknown, lease: Lease): void {
  if (!(err instanceof IngestError && err.reason === 'bus_unavailable')) lease.release();
}

/** What {@link instrumentIngest} needs from a receiver. */
export interface InstrumentationDeps {
  budget: ByteBudget;
  telemetry: Telemetry;
  logger: Logger;
}

/**
 * Runs one OTLP request with the accounting both receivers share: takes a
 * lease on the byte budget, counts the request as accepted when `handle`
 * resolves (it has answered), or as refused by reason (and its items, when
 * known) when it throws; applies the lease rule; turns an unexpected error
 * into a logged 500 `malformed` refusal; records the request's duration.
 * `refuse` answers the refusal on the transport. Never rejects.
 */
export async function instrumentIngest(
  deps: InstrumentationDeps,
  transport: Transport,
  handle: (call: IngestCall) => Promise<void>,
  refuse: (e: IngestError) => void,
): Promise<void> {
  const call: IngestCall = { signal: 'unknown', lease: deps.budget.lease(), startedAt: performance.now() };
  try {
    await handle(call);
    deps.telemetry.count('zeroops.collector.requests', { signal: call.signal, transport, outcome: 'accepted', reason: 'ok' });
  } catch (err) {
    releaseUnlessBusOwns(err, call.lease);
    const e = err instanceof IngestError ? err : new IngestError('malformed', 500, 'internal error while ingesting', undefined, err);
    if (!(err instanceof IngestError)) deps.logger.error({ err }, `OTLP/${transport === 'http' ? 'HTTP request' : 'gRPC call'} failed`);
    deps.telemetry.count('zeroops.collector.requests', { signal: call.signal, transport, outcome: 'refused', reason: e.reason });
    if (e.items > 0) deps.telemetry.count('zeroops.collector.items', { signal: call.signal, outcome: 'refused', reason: e.reason }, e.items);
    refuse(e);
  } finally {
    deps.telemetry.record('zeroops.collector.request.duration_ms', performance.now() - call.startedAt, { signal: call.signal, transport });
  }
}
