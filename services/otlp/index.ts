/**
 * OTLP decoding and encoding, shared by the collector (which validates and
 * splits export requests) and the detector (which decodes the per-resource
 * records the collector publishes).
 */

import { decodeToJson, type JsonObject } from './json-decode.ts';
import { encodeJson } from './json-encode.ts';
import { SIGNALS, type Signal } from './schema.ts';

export {
  type AttributeValue,
  anyValue,
  attributes,
  type DecodedDataPoint,
  type DecodedLogRecord,
  type DecodedMetric,
  type DecodedResourceLogs,
  type DecodedResourceMetrics,
  type DecodedResourceSpans,
  type DecodedSpan,
  decodeResourceLogs,
  decodeResourceMetrics,
  decodeResourceSpans,
} from './decode.ts';
export { decodeToJson, type JsonObject } from './json-decode.ts';
export { encodeJson, JsonShapeError, writeMessage } from './json-encode.ts';
export { type ExportOutcome, encodeExportResponse, encodeStatus, exportResponseJson, GRPC, statusJson } from './response.ts';
export { type FieldDef, type Kind, type MessageDef, messageDef, SIGNALS, type Signal, type SignalInfo } from './schema.ts';
export { type ResourceSlice, type SplitRequest, serviceName, splitExportRequest } from './split.ts';
export { MAX_DEPTH, ProtoError } from './validate.ts';
export { WireError } from './wire.ts';

/**
 * Encodes an export request for `signal` from its OTLP/JSON shape (e.g.
 * `{ resourceSpans: [{ resource: { attributes: [...] }, scopeSpans: [...] }] }`)
 * as protobuf. Ids are hex strings, times decimal strings or numbers.
 */
export function encodeExportRequest(signal: Signal, request: unknown): Uint8Array {
  return encodeJson(SIGNALS[signal].request, request);
}

/** Encodes an ExportTraceServiceRequest from its OTLP/JSON shape. */
export const encodeTraceRequest = (request: unknown): Uint8Array => encodeExportRequest('traces', request);
/** Encodes an ExportMetricsServiceRequest from its OTLP/JSON shape. */
export const encodeMetricsRequest = (request: unknown): Uint8Array => encodeExportRequest('metrics', request);
/** Encodes an ExportLogsServiceRequest from its OTLP/JSON shape. */
export const encodeLogsRequest = (request: unknown): Uint8Array => encodeExportRequest('logs', request);

/** Encodes one resource (ResourceSpans / ResourceMetrics / ResourceLogs) from its OTLP/JSON shape. */
export function encodeResource(signal: Signal, resource: unknown): Uint8Array {
  return encodeJson(SIGNALS[signal].resource, resource);
}

/** Decodes a protobuf export request into the OTLP/JSON shape. */
export function decodeExportRequest(signal: Signal, bytes: Uint8Array): JsonObject {
  return decodeToJson(SIGNALS[signal].request, bytes);
}

/** Decodes one resource record (as published on the bus) into the OTLP/JSON shape. */
export function decodeResource(signal: Signal, bytes: Uint8Array): JsonObject {
  return decodeToJson(SIGNALS[signal].resource, bytes);
}
