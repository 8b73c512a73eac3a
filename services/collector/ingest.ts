import type { Bus, BusRecord } from '../bus/bus.ts';
import { describeError, PermanentError, RetryableError, type Telemetry, withDeadline, ZeroopsError } from '../core/index.ts';
import { SIGNALS, type Signal, type SplitRequest } from '../otlp/index.ts';
import type { Lease } from './byte-budget.ts';
import { releaseUnlessBusOwns } from './ingest-instrumentation.ts';

/** Suggested client back-off when the bus is down or the collector is full, in milliseconds. */
export const RETRY_AFTER_MS = 1_000;

/**
 * Histogram of the time a request spends in each ingest stage, in ms,
 * attributes `signal` and `stage`: `read` (body received and gunzipped),
 * `json` (OTLP/JSON turned into protobuf, including the wait for a decode worker, and split by resource there), `split` (protobuf validated and split by
 * resource), `publish` (waiting for the bus to acknowledge).
 */
export const STAGE_METRIC = 'zeroops.collector.stage.duration_ms';

export type { BodyFormat } from './body-decode.ts';

/** What an accepted request reports back (OTLP partial success when `rejected` > 0). */
export interface IngestResult {
  accepted: number;
  rejected: number;
  message: string;
}

/** Dependencies and limits of {@link createIngest}. */
export interface IngestDeps {
  bus: Bus;
  telemetry: Telemetry;
  /** Topic of each signal. */
  topics: Record<Signal, string>;
  maxItemsPerRequest: number;
  publishTimeoutMs: number;
}

/** Refusal reasons, as counted in `zeroops.collector.items{reason}` and `zeroops.collector.requests{reason}`. */
export type RefusalReason =
  | 'malformed'
  | 'too_large'
  | 'too_many_items'
  | 'unsupported_media_type'
  | 'unauthorized'
  | 'bus_unavailable'
  | 'busy'
  | 'invalid_item'
  | 'not_found'
  | 'method_not_allowed';

/** A refused request: the HTTP status (and hence gRPC code) plus the counted reason. */
export class IngestError extends ZeroopsError {
  constructor(
    readonly reason: RefusalReason,
    statusCode: number,
    message: string,
    readonly retryAfterMs?: number,
    cause?: unknown,
  ) {
    super(`ZEROOPS_OTLP_${reason.toUpperCase()}`, message, { statusCode, cause });
    this.name = 'IngestError';
  }

  /** Items the refused request held, when known (counted as refused items). */
  items = 0;

  /** Records how many items the refused request held. */
  withItems(n: number): this {
    this.items = n;
    return this;
  }
}

/** Shorthand for a 400 refusal of malformed input. */
export function malformed(message: string, cause?: unknown): IngestError {
  return new IngestError('malformed', 400, message, undefined, cause);
}

/** The ingest step: see {@link createIngest}. */
export type Ingest = (signal: Signal, split: SplitRequest, receivedAtMs: number, lease: Lease) => Promise<IngestResult>;

/**
 * Builds the signal-agnostic ingest step shared by the HTTP and gRPC
 * receivers: given an export request validated and split by resource (see
 * decode-pool.ts), publish one record per resource, resolve once the bus has durably taken them. It owns `lease`:
 * released when the bus settles the records, even after a timeout answer.
 */
export function createIngest(deps: IngestDeps): Ingest {
  return async (signal, split, receivedAtMs, lease) => {
    try {
      return await ingestOne(deps, signal, split, receivedAtMs, lease);
    } catch (err) {
      releaseUnlessBusOwns(err, lease);
      throw err;
    }
  };
}

async function ingestOne(deps: IngestDeps, signal: Signal, split: SplitRequest, receivedAtMs: number, lease: Lease): Promise<IngestResult> {
  const { telemetry } = deps;
  const t1 = performance.now();
  if (split.items > deps.maxItemsPerRequest) {
    const msg = `request holds ${split.items} ${SIGNALS[signal].itemName}, more than the limit of ${deps.maxItemsPerRequest} (ZEROOPS_MAX_ITEMS_PER_REQUEST); send smaller batches`;
    throw new IngestError('too_many_items', 413, msg).withItems(split.items);
  }
  const accepted = split.items - split.rejected;
  if (split.resources.length > 0) {
    await publish(deps, signal, split, receivedAtMs, lease);
    telemetry.record(STAGE_METRIC, performance.now() - t1, { signal, stage: 'publish' });
  } else lease.release();
  if (accepted > 0) telemetry.count('zeroops.collector.items', { signal, outcome: 'accepted', reason: 'ok' }, accepted);
  if (split.rejected > 0) telemetry.count('zeroops.collector.items', { signal, outcome: 'refused', reason: 'invalid_item' }, split.rejected);
  const message = split.rejected > 0 ? `${split.rejected} of ${split.items} ${SIGNALS[signal].itemName} refused: ${split.problem ?? 'invalid'}` : '';
  return { accepted, rejected: split.rejected, message };
}

async function publish(deps: IngestDeps, signal: Signal, split: SplitRequest, receivedAtMs: number, lease: Lease): Promise<void> {
  const headers = { 'content-type': 'application/x-protobuf', 'zeroops-received-at': String(receivedAtMs) };
  const records: BusRecord[] = split.resources.map((r) => ({ key: r.service, value: r.bytes, headers }));
  const timedOut = () => new RetryableError('ZEROOPS_BUS_TIMEOUT', `the bus did not take the records within ${deps.publishTimeoutMs} ms`);
  try {
    const published = deps.bus.publish(deps.topics[signal], records);
    // The records stay in memory until the bus settles them, answered or not.
    published.then(
      () => lease.release(),
      () => lease.release(),
    );
    await withDeadline(deps.publishTimeoutMs, () => published, { onTimeout: timedOut });
  } catch (err) {
    if (err instanceof PermanentError && err.statusCode === 413) {
      const msg = `a resource is larger than the bus takes (the telemetry topic's max.message.bytes); send smaller resources: ${describeError(err)}`;
      throw new IngestError('too_large', 413, msg, undefined, err).withItems(split.items);
    }
    if (err instanceof PermanentError) {
      throw new IngestError('malformed', 400, `the bus refused the records: ${describeError(err)}`, undefined, err).withItems(split.items);
    }
    const msg = `telemetry not stored, retry later: ${describeError(err)}`;
    throw new IngestError('bus_unavailable', 503, msg, RETRY_AFTER_MS, err).withItems(split.items);
  }
}
