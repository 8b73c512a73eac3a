import { encodeJson, JsonShapeError, ProtoError, SIGNALS, type Signal, type SplitRequest, splitExportRequest } from '../otlp/index.ts';

/** Body encodings OTLP defines. */
export type BodyFormat = 'protobuf' | 'json';

/**
 * Outcome of {@link convertJsonBody}: the protobuf export request, or the
 * message of the 400 the client gets (with the error that caused it).
 */
export type JsonConversion = { ok: true; proto: Uint8Array } | { ok: false; message: string; cause: unknown };

/** Outcome of {@link decodeBody}: the request split by resource, or the message of the 400 the client gets. */
export type BodyDecoding = { ok: true; split: SplitRequest } | { ok: false; message: string; cause: unknown };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Turns an OTLP/JSON body into protobuf ExportXServiceRequest bytes. Bad input
 * is returned as `{ ok: false }` with the client-facing message; anything else
 * thrown is a bug. Kept free of collector state so a worker thread can run it.
 * The result may be a view on a larger buffer (see `byteOffset`/`byteLength`).
 */
export function convertJsonBody(signal: Signal, body: Uint8Array): JsonConversion {
  if (body.length === 0) return { ok: false, message: 'empty body: expected an OTLP/JSON export request object', cause: undefined };
  let text: string;
  try {
    text = utf8.decode(body);
  } catch (err) {
    return { ok: false, message: 'body is not valid UTF-8', cause: err };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { ok: false, message: `invalid JSON: ${(err as Error).message}`, cause: err };
  }
  try {
    return { ok: true, proto: encodeJson(SIGNALS[signal].request, parsed, body.length) };
  } catch (err) {
    if (err instanceof JsonShapeError) return { ok: false, message: `invalid OTLP/JSON: ${err.message}`, cause: err };
    throw err;
  }
}

/**
 * Validates an export request body (OTLP/JSON is first turned into protobuf)
 * and splits it by resource: the whole decode step of ingest, free of
 * collector state so that a worker thread can run it. Bad input is returned
 * as `{ ok: false }` with the client-facing message; anything else thrown is
 * a bug. The resources' bytes view the body (or, for JSON, the converted
 * protobuf) unless invalid items had to be cut out of them.
 */
export function decodeBody(signal: Signal, format: BodyFormat, body: Uint8Array): BodyDecoding {
  let proto = body;
  if (format === 'json') {
    const c = convertJsonBody(signal, body);
    if (!c.ok) return c;
    proto = c.proto;
  }
  try {
    return { ok: true, split: splitExportRequest(signal, proto) };
  } catch (err) {
    if (err instanceof ProtoError) return { ok: false, message: `invalid OTLP protobuf ${SIGNALS[signal].request.name}: ${err.message}`, cause: err };
    throw err;
  }
}
