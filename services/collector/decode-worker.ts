/**
 * Body of a decode worker thread (started by decode-pool.ts through
 * decode-worker-entry.js): validates export request bodies (OTLP/JSON turned
 * into protobuf first) and splits them by resource, one message at a time,
 * and posts the split back with its buffers transferred.
 */
import { parentPort } from 'node:worker_threads';
import type { Signal, SplitRequest } from '../otlp/index.ts';
import { type BodyFormat, decodeBody } from './body-decode.ts';

/** A decode asked of a worker; `body` is transferred to it. */
export interface DecodeJob {
  id: number;
  signal: Signal;
  format: BodyFormat;
  body: Uint8Array;
}

/**
 * A worker's answer: the split request (its resources' buffers transferred),
 * the 400 message of bad input (`refused`), or the message of a bug (`failed`).
 */
export type DecodeReply =
  | { id: number; ok: true; split: SplitRequest }
  | { id: number; ok: false; refused: string }
  | { id: number; ok: false; failed: string };

/** The distinct buffers the resources of `split` view: transferred with the reply instead of copied. */
export function transferList(split: SplitRequest): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const r of split.resources) if (r.bytes.buffer instanceof ArrayBuffer) out.add(r.bytes.buffer);
  return [...out];
}

function answer(job: DecodeJob): { reply: DecodeReply; transfer: ArrayBuffer[] } {
  try {
    const r = decodeBody(job.signal, job.format, job.body);
    if (!r.ok) return { reply: { id: job.id, ok: false, refused: r.message }, transfer: [] };
    return { reply: { id: job.id, ok: true, split: r.split }, transfer: transferList(r.split) };
  } catch (err) {
    return { reply: { id: job.id, ok: false, failed: err instanceof Error ? (err.stack ?? err.message) : String(err) }, transfer: [] };
  }
}

const port = parentPort;
if (port !== null) {
  port.on('message', (job: DecodeJob) => {
    const { reply, transfer } = answer(job);
    try {
      port.postMessage(reply, transfer);
    } catch (err) {
      // A buffer that may not be transferred (a pooled one) is copied instead.
      void err;
      port.postMessage(reply);
    }
  });
  port.postMessage('ready');
}
