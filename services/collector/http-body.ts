import type { IncomingMessage } from 'node:http';
import { gunzip } from 'node:zlib';
import type { Lease } from './byte-budget.ts';
import { IngestError, malformed, RETRY_AFTER_MS } from './ingest.ts';

/** Body limits, in bytes. */
export interface BodyLimits {
  /** Largest body as sent (compressed). */
  maxBodyBytes: number;
  /** Largest body after gzip decompression. */
  maxDecompressedBytes: number;
}

/** How much of an oversized body is read and thrown away before the connection is cut. */
const DRAIN_FACTOR = 4;

function tooLarge(limits: BodyLimits): IngestError {
  return new IngestError('too_large', 413, `body exceeds ${limits.maxBodyBytes} bytes (ZEROOPS_MAX_BODY_BYTES); send smaller batches`);
}

/**
 * Reads a request body into one buffer, holding its bytes on `lease`.
 * Rejects with a 413 when it grows past `maxBodyBytes` (after reading and
 * discarding up to a few times the limit, so the client sees the answer),
 * a 429 when the memory budget is exhausted. With `sharedFrom`, a body
 * whose declared length is at least that many bytes is read into a
 * SharedArrayBuffer, so a decode worker can walk it without the buffer being
 * transferred there and back.
 */
export function readBody(req: IncomingMessage, limits: BodyLimits, lease: Lease, sharedFrom = Number.POSITIVE_INFINITY): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    let failure: IngestError | undefined = declared > limits.maxBodyBytes ? tooLarge(limits) : undefined;
    const chunks: Buffer[] = [];
    // HTTP parsing stops a body at its declared length, so it fits.
    const shared = failure === undefined && declared >= sharedFrom ? new Uint8Array(new SharedArrayBuffer(declared)) : undefined;
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      const at = size;
      size += chunk.length;
      if (failure !== undefined) {
        if (size > limits.maxBodyBytes * DRAIN_FACTOR) req.destroy();
        return;
      }
      if (size > limits.maxBodyBytes) failure = tooLarge(limits);
      else if (!lease.grow(chunk.length)) failure = busy();
      else if (shared !== undefined && size <= shared.length) shared.set(chunk, at);
      else chunks.push(chunk);
      if (failure !== undefined) chunks.length = 0;
    });
    const whole = (): Uint8Array => {
      if (shared !== undefined && chunks.length === 0 && size === shared.length) return shared;
      if (shared !== undefined) throw malformed(`the body has ${size} bytes, not the ${declared} its content-length declares`);
      return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
    };
    req.on('end', () => {
      if (failure) return reject(failure);
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

/** The 429 answered when the collector holds as many bytes as it may. */
export function busy(): IngestError {
  return new IngestError('busy', 429, 'collector is at its memory limit (ZEROOPS_COLLECTOR_MAX_INFLIGHT_BYTES); retry later', RETRY_AFTER_MS);
}

/**
 * Decompresses a gzip body, refusing (413) output beyond
 * `maxDecompressedBytes` (gzip bombs) and (400) corrupt data. Runs on the
 * libuv thread pool; the output is held on `lease`.
 */
export function gunzipBody(body: Uint8Array, limits: BodyLimits, lease: Lease): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    gunzip(body, { maxOutputLength: limits.maxDecompressedBytes }, (err, out) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
          reject(new IngestError('too_large', 413, `body decompresses to more than ${limits.maxDecompressedBytes} bytes (ZEROOPS_MAX_DECOMPRESSED_BYTES)`));
        } else reject(malformed(`invalid gzip body: ${err.message}`, err));
        return;
      }
      if (!lease.grow(out.length)) reject(busy());
      else resolve(out);
    });
  });
}
