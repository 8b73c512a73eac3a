import { createGunzip, createInflate } from 'node:zlib';
import type { Lease } from './byte-budget.ts';
import { IngestError, malformed, RETRY_AFTER_MS } from './ingest.ts';

/** Compressions an OTLP body or gRPC message may use. */
export type Compression = 'gzip' | 'deflate';

/** The 429 answered when the collector holds as many bytes as it may. */
export function busy(): IngestError {
  return new IngestError('busy', 429, 'collector is at its memory limit (ZEROOPS_COLLECTOR_MAX_INFLIGHT_BYTES); retry later', RETRY_AFTER_MS);
}

/** The 413 of a body that decompresses to more than `max` bytes. */
function bomb(max: number): IngestError {
  return new IngestError('too_large', 413, `body decompresses to more than ${max} bytes (ZEROOPS_MAX_DECOMPRESSED_BYTES); send smaller batches`);
}

/**
 * Decompresses `body` as a stream, charging every piece of output to `lease`
 * as zlib produces it (and the final contiguous copy too, after which the
 * pieces are given back), so a gzip bomb holds at most what the budget
 * allows: a 429 {@link IngestError} when the budget runs out, a 413 beyond
 * `maxBytes` of output, a 400 for corrupt data. zlib runs on the libuv
 * thread pool. The caller still owns `lease` after a rejection.
 */
export function decompress(body: Uint8Array, compression: Compression, maxBytes: number, lease: Lease): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const opts = { chunkSize: 64 * 1024 };
    const z = compression === 'gzip' ? createGunzip(opts) : createInflate(opts);
    const pieces: Buffer[] = [];
    let size = 0;
    let failed = false;
    const fail = (err: IngestError): void => {
      if (failed) return;
      failed = true;
      pieces.length = 0;
      z.destroy();
      reject(err);
    };
    z.on('data', (piece: Buffer) => {
      if (failed) return;
      size += piece.length;
      if (size > maxBytes) fail(bomb(maxBytes));
      else if (!lease.grow(piece.length)) fail(busy());
      else pieces.push(piece);
    });
    z.on('error', (err) => fail(malformed(`invalid ${compression} body: ${err.message}`, err)));
    z.on('end', () => {
      if (failed) return;
      if (pieces.length === 1) return resolve(pieces[0] as Buffer);
      // The copy and its pieces exist together for a moment: both are charged.
      if (!lease.grow(size)) return fail(busy());
      const whole = Buffer.concat(pieces, size);
      pieces.length = 0;
      lease.shrink(size);
      resolve(whole);
    });
    z.end(body);
  });
}
