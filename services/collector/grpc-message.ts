import type { Readable } from 'node:stream';
import type { Lease } from './byte-budget.ts';
import { busy, type Compression, decompress } from './decompress.ts';
import { IngestError, malformed } from './ingest.ts';

/** The gRPC encodings (grpc-encoding) the receiver takes. */
export const GRPC_ENCODINGS = ['identity', 'gzip', 'deflate'] as const;

/** The 413 (RESOURCE_EXHAUSTED, without retry) of a message over the limit. */
function tooLarge(what: string, max: number): IngestError {
  return new IngestError('too_large', 413, `${what} exceeds ${max} bytes (ZEROOPS_MAX_DECOMPRESSED_BYTES); send smaller batches`);
}

/**
 * Reads the one length-prefixed message of a unary gRPC call from `stream`,
 * charging every received piece to `lease` before it is kept (429 when the
 * budget runs out), refusing a declared length over `maxBytes` (413) from
 * its 5-byte prefix before the message arrives, and inflating a compressed
 * message (`encoding` from grpc-encoding) with {@link decompress}, which
 * charges its output too. Rejects with an {@link IngestError} at once, then
 * ignores the rest of the stream; the caller owns `lease`.
 */
export function readGrpcMessage(stream: Readable, encoding: string, maxBytes: number, lease: Lease): Promise<Uint8Array> {
  return new Promise<{ flag: number; message: Buffer }>((resolve, reject) => {
    const prefix = Buffer.alloc(5);
    let have = 0; // bytes of prefix plus message received
    let declared = -1;
    const pieces: Buffer[] = [];
    let failed = false;
    const fail = (err: IngestError): void => {
      if (failed) return;
      failed = true;
      pieces.length = 0;
      stream.off('data', onData);
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      let at = 0;
      if (have < 5) {
        at = Math.min(5 - have, chunk.length);
        chunk.copy(prefix, have, 0, at);
        have += at;
        if (have < 5) return;
        declared = prefix.readUInt32BE(1);
        if (declared > maxBytes) {
          fail(tooLarge(`the message's declared length ${declared}`, maxBytes));
          return;
        }
      }
      const rest = chunk.subarray(at);
      if (rest.length === 0) return;
      if (have - 5 + rest.length > declared) {
        fail(malformed('a unary Export call carries one message; more bytes followed it'));
        return;
      }
      if (!lease.grow(rest.length)) {
        fail(busy());
        return;
      }
      pieces.push(rest);
      have += rest.length;
    };
    stream.on('data', onData);
    stream.on('end', () => {
      if (failed) return;
      if (have < 5 || have - 5 < declared) {
        fail(malformed('the call ended before its request message was complete'));
        return;
      }
      failed = true; // settled: a later 'close' changes nothing
      try {
        resolve({ flag: prefix[0] ?? 0, message: joinCharged(pieces, declared, lease) });
      } catch (err) {
        reject(err);
      }
    });
    stream.on('error', (err) => fail(malformed(`reading the call failed: ${err.message}`, err)));
    stream.on('close', () => fail(malformed('the client cancelled the call before its message ended')));
  }).then(({ flag, message }) => {
    if (flag === 0) return message;
    if (encoding !== 'gzip' && encoding !== 'deflate') throw malformed(`the message is compressed but grpc-encoding is ${JSON.stringify(encoding)}`);
    return decompress(message, encoding as Compression, maxBytes, lease);
  });
}

/** One buffer of `pieces` (`size` bytes); the copy is charged while both exist, and if the budget refuses, a 429. */
function joinCharged(pieces: Buffer[], size: number, lease: Lease): Buffer {
  if (pieces.length === 1) return pieces[0] as Buffer;
  if (!lease.grow(size)) throw busy();
  const whole = Buffer.concat(pieces, size);
  lease.shrink(size);
  return whole;
}
