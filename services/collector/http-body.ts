import type { IncomingMessage } from 'node:http';
import type { Lease } from './byte-budget.ts';
import { busy } from './decompress.ts';
import { IngestError, malformed } from './ingest.ts';

/** Body limits, in bytes. */
export interface BodyLimits {
  /** Largest body as sent (compressed). */
  maxBodyBytes: number;
  /** Largest body after gzip decompression. */
  maxDecompressedBytes: number;
}

/** The 413 of a body larger than `limits.maxBodyBytes`. */
export function tooLarge(limits: BodyLimits): IngestError {
  return new IngestError('too_large', 413, `body exceeds ${limits.maxBodyBytes} bytes (ZEROOPS_MAX_BODY_BYTES); send smaller batches`);
}

/** The body length a request declares: its Content-Length, 0 without one (no body), undefined when chunked. */
export function declaredLength(req: IncomingMessage): number | undefined {
  if (req.headers['transfer-encoding'] !== undefined) return undefined;
  const raw = req.headers['content-length'];
  // Node's parser has already refused a malformed Content-Length.
  return raw === undefined ? 0 : Number(raw);
}

/**
 * Reads a request body into one buffer, holding its bytes on `lease`.
 * Rejects as soon as the body grows past `maxBodyBytes` (413) or the memory
 * budget runs out (429), without reading on: the caller answers at once and
 * decides what becomes of the rest of the body (see linger.ts). A declared
 * length over the limit is refused before anything is read. With
 * `sharedFrom`, a body whose declared length is at least that many bytes is
 * read into a SharedArrayBuffer (charged to `lease` whole, before it is
 * allocated), so a decode worker can walk it without the buffer being
 * transferred there and back.
 */
export function readBody(req: IncomingMessage, limits: BodyLimits, lease: Lease, sharedFrom = Number.POSITIVE_INFINITY): Promise<Uint8Array> {
  const declared = declaredLength(req);
  if (declared !== undefined && declared > limits.maxBodyBytes) return Promise.reject(tooLarge(limits));
  let shared: Uint8Array | undefined;
  if (declared !== undefined && declared >= sharedFrom) {
    if (!lease.grow(declared)) return Promise.reject(busy());
    // HTTP parsing stops a body at its declared length, so it fits.
    shared = new Uint8Array(new SharedArrayBuffer(declared));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failure: IngestError | undefined;
    const fail = (err: IngestError): void => {
      failure = err;
      chunks.length = 0;
      req.off('data', onData);
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      const at = size;
      size += chunk.length;
      if (size > limits.maxBodyBytes) fail(tooLarge(limits));
      else if (shared !== undefined) shared.set(chunk, at);
      else if (!lease.grow(chunk.length)) fail(busy());
      else chunks.push(chunk);
    };
    req.on('data', onData);
    const whole = (): Uint8Array => {
      if (shared !== undefined && size === shared.length) return shared;
      if (shared !== undefined) throw malformed(`the body has ${size} bytes, not the ${declared} its content-length declares`);
      if (chunks.length === 1) return chunks[0] as Buffer;
      // The copy and its chunks exist together for a moment: both are charged.
      if (!lease.grow(size)) throw busy();
      const body = Buffer.concat(chunks, size);
      chunks.length = 0;
      lease.shrink(size);
      return body;
    };
    req.on('end', () => {
      if (failure) return;
      try {
        resolve(whole());
      } catch (err) {
        reject(err);
      }
    });
    req.on('error', (err) => reject(failure ?? malformed(`reading the body failed: ${err.message}`, err)));
    req.on('close', () => {
      if (!req.complete) reject(failure ?? malformed('the client closed the connection before the body ended'));
    });
  });
}
