import { SIGNALS, type Signal } from './schema.ts';
import { WT } from './wire.ts';
import { Writer } from './writer.ts';

/** Result of an export, as the OTLP response reports it. */
export interface ExportOutcome {
  /** Items refused as invalid; 0 means full success. */
  rejected: number;
  /** Why items were refused (empty on full success). */
  message: string;
}

/**
 * Encodes an ExportXServiceResponse as protobuf. Full success is the empty
 * message; otherwise partial_success (field 1) holds the rejected count
 * (field 1, int64) and error_message (field 2).
 */
export function encodeExportResponse(outcome: ExportOutcome): Uint8Array {
  if (outcome.rejected === 0 && outcome.message === '') return new Uint8Array(0);
  const w = new Writer(64 + outcome.message.length * 3);
  w.tag(1, WT.LEN).fork();
  if (outcome.rejected !== 0) w.tag(1, WT.VARINT).uint64(BigInt(outcome.rejected));
  if (outcome.message !== '') w.tag(2, WT.LEN).string(outcome.message);
  w.join();
  return w.finish().slice();
}

/** The same response in OTLP/JSON (`{}` on full success; int64 as a decimal string). */
export function exportResponseJson(signal: Signal, outcome: ExportOutcome): string {
  if (outcome.rejected === 0 && outcome.message === '') return '{}';
  const ps: Record<string, string> = {};
  if (outcome.rejected !== 0) ps[SIGNALS[signal].rejectedJson] = String(outcome.rejected);
  if (outcome.message !== '') ps.errorMessage = outcome.message;
  return JSON.stringify({ partialSuccess: ps });
}

/** gRPC status codes used by the collector. */
export const GRPC = { OK: 0, INVALID_ARGUMENT: 3, RESOURCE_EXHAUSTED: 8, UNAUTHENTICATED: 16, UNAVAILABLE: 14, INTERNAL: 13, UNIMPLEMENTED: 12 } as const;

const RETRY_INFO_URL = 'type.googleapis.com/google.rpc.RetryInfo';

/**
 * Encodes a google.rpc.Status (code 1, message 2, details 3) as protobuf,
 * with a google.rpc.RetryInfo detail (retry_delay: Duration) when
 * `retryAfterMs` is given. Used as the OTLP/HTTP error body and as gRPC's
 * `grpc-status-details-bin`.
 */
export function encodeStatus(code: number, message: string, retryAfterMs?: number): Uint8Array {
  const w = new Writer(64 + message.length * 3);
  if (code !== 0) w.tag(1, WT.VARINT).uint32(code);
  if (message !== '') w.tag(2, WT.LEN).string(message);
  if (retryAfterMs !== undefined) {
    w.tag(3, WT.LEN).fork();
    w.tag(1, WT.LEN).string(RETRY_INFO_URL);
    w.tag(2, WT.LEN).fork(); // Any.value = RetryInfo
    w.tag(1, WT.LEN).fork(); // RetryInfo.retry_delay = Duration
    const seconds = Math.floor(retryAfterMs / 1000);
    if (seconds > 0) w.tag(1, WT.VARINT).uint32(seconds);
    const nanos = (retryAfterMs % 1000) * 1_000_000;
    if (nanos > 0) w.tag(2, WT.VARINT).uint32(nanos);
    w.join().join().join();
  }
  return w.finish().slice();
}

/** The same google.rpc.Status in JSON. */
export function statusJson(code: number, message: string, retryAfterMs?: number): string {
  const details = retryAfterMs === undefined ? undefined : [{ '@type': RETRY_INFO_URL, retryDelay: `${(retryAfterMs / 1000).toFixed(3)}s` }];
  return JSON.stringify({ code, message, ...(details ? { details } : {}) });
}
