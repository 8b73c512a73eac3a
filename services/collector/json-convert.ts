import { encodeJson, JsonShapeError, SIGNALS, type Signal } from '../otlp/index.ts';

/**
 * Outcome of {@link convertJsonBody}: the protobuf export request, or the
 * message of the 400 the client gets (with the error that caused it).
 */
export type JsonConversion = { ok: true; proto: Uint8Array } | { ok: false; message: string; cause: unknown };

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
