/**
 * Body of a JSON worker thread (started by json-pool.ts through
 * json-worker-entry.js): converts OTLP/JSON bodies to protobuf, one message at
 * a time, and posts the bytes back by transfer.
 */
import { parentPort } from 'node:worker_threads';
import type { Signal } from '../otlp/index.ts';
import { convertJsonBody } from './json-convert.ts';

/** A conversion asked of a worker; `body` is transferred to it. */
export interface JsonJob {
  id: number;
  signal: Signal;
  body: Uint8Array;
}

/**
 * A worker's answer: the protobuf bytes `buffer[0, length)` (transferred),
 * the 400 message of bad input (`refused`), or the message of a bug (`failed`).
 */
export type JsonReply =
  | { id: number; ok: true; buffer: ArrayBuffer; offset: number; length: number }
  | { id: number; ok: false; refused: string }
  | { id: number; ok: false; failed: string };

function answer(job: JsonJob): { reply: JsonReply; transfer: ArrayBuffer[] } {
  try {
    const r = convertJsonBody(job.signal, job.body);
    if (!r.ok) return { reply: { id: job.id, ok: false, refused: r.message }, transfer: [] };
    const buffer = r.proto.buffer as ArrayBuffer;
    return { reply: { id: job.id, ok: true, buffer, offset: r.proto.byteOffset, length: r.proto.byteLength }, transfer: [buffer] };
  } catch (err) {
    return { reply: { id: job.id, ok: false, failed: err instanceof Error ? (err.stack ?? err.message) : String(err) }, transfer: [] };
  }
}

const port = parentPort;
if (port !== null) {
  port.on('message', (job: JsonJob) => {
    const { reply, transfer } = answer(job);
    port.postMessage(reply, transfer);
  });
  port.postMessage('ready');
}
