import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../core/index.ts';
import type { Signal, SplitRequest } from '../otlp/index.ts';
import { type BodyFormat, decodeBody } from './body-decode.ts';
import type { DecodeJob, DecodeReply } from './decode-worker.ts';
import { IngestError, malformed, RETRY_AFTER_MS } from './ingest.ts';

/**
 * Bodies one worker may hold (running plus queued) before new JSON
 * requests are refused with 429. At ~8 ms per 380 KB body that is about
 * 130 ms of queued work: a client waiting longer is better told to back off.
 */
export const MAX_QUEUED_PER_WORKER = 16;

/**
 * Protobuf bodies at least this large are validated and split on a worker
 * (about 0.3 ms of the event loop per 175 KB body otherwise); smaller ones
 * inline, where the hand-off would cost more than the walk.
 */
export const OFFLOAD_PROTOBUF_BYTES = 64 * 1024;

/** How long start() waits for a worker to load before falling back to inline decoding, in ms. */
const READY_TIMEOUT_MS = 20_000;

/**
 * Validates export request bodies and splits them by resource (OTLP/JSON is
 * turned into protobuf first), on worker threads when it has any, else
 * inline on the event loop: every JSON body goes to the least busy worker,
 * and protobuf bodies of at least {@link OFFLOAD_PROTOBUF_BYTES} to the least
 * busy of the first {@link protobufWorkerCount} workers. A JSON body finding
 * every worker's queue full is refused with 429; a protobuf one is decoded
 * inline instead. Bad input and refusals are the same {@link IngestError}s
 * either way.
 */
export interface DecodePool {
  /** Starts the workers; on failure to load them, logs once and decodes inline. */
  start(): Promise<void>;
  /**
   * Smallest body of `format` that {@link decode} hands to a worker (infinite
   * when it walks such bodies inline): a receiver reads bodies this large
   * into shared memory, which the worker walks in place.
   */
  offloadFrom(format: BodyFormat): number;
  /** Decodes `body` (ownership passes to the pool: an unshared buffer may be transferred to a worker); a 400 {@link IngestError} says what is wrong with bad input. */
  decode(signal: Signal, format: BodyFormat, body: Uint8Array): Promise<SplitRequest>;
  /** Workers running (0: inline). */
  workers(): number;
  /** Terminates the workers (idempotent); decodes still pending fail with a 500. */
  stop(): Promise<void>;
}

/**
 * `requested` workers, at most one per core. Converting JSON is the work of
 * a JSON request (the event loop only reads it and publishes), so its bodies
 * may keep every core busy: on the 2-core VM two workers sustain 30-40 %
 * more JSON than one at the same p99 (make bench-ingest).
 */
export function jsonWorkerCount(requested: number, cores = availableParallelism()): number {
  return Math.max(0, Math.min(requested, cores));
}

/**
 * Of `workers`, how many take protobuf bodies: all but one core's worth, so
 * that one core stays with the event loop, which does most of a protobuf
 * request's work (with a protobuf split on every core, single repetitions
 * of make bench-ingest stalled for 150-1200 ms four times in eighteen).
 */
export function protobufWorkerCount(workers: number, cores = availableParallelism()): number {
  return Math.max(0, Math.min(workers, cores - 1));
}

interface Pending {
  resolve(split: SplitRequest): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

function saturated(): IngestError {
  return new IngestError('busy', 429, 'collector decode workers are saturated (ZEROOPS_COLLECTOR_JSON_WORKERS); retry later', RETRY_AFTER_MS);
}

/** An ArrayBuffer holding exactly `body`: its own when it owns it whole, else a copy (pooled or shared buffers must not be transferred). */
function ownBuffer(body: Uint8Array): Uint8Array {
  if (body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer) return body;
  return new Uint8Array(body);
}

/** Decodes on the calling thread, with the same errors as a worker's. */
function decodeInline(signal: Signal, format: BodyFormat, body: Uint8Array): SplitRequest {
  const r = decodeBody(signal, format, body);
  if (!r.ok) throw malformed(r.message, r.cause);
  return r.split;
}

function settle(pending: Pending, reply: DecodeReply): void {
  if (reply.ok) pending.resolve(reply.split);
  else if ('refused' in reply) pending.reject(malformed(reply.refused));
  else pending.reject(new Error(`decode worker failed: ${reply.failed}`));
}

/** The one state object of a decode pool, shared by its functions below. Owned by its {@link createDecodePool}. */
interface PoolState {
  readonly logger: Logger;
  /** Workers the pool runs once started. */
  readonly size: number;
  /** Of the workers, how many take protobuf bodies (the first ones). */
  readonly protobufSlots: number;
  readonly slots: Slot[];
  nextId: number;
  stopping: boolean;
  /** Load failures are reported once by start(); only later crashes are logged here. */
  started: boolean;
}

function spawn(state: PoolState): Slot {
  const worker = new Worker(new URL('./decode-worker-entry.js', import.meta.url));
  const slot: Slot = { worker, pending: new Map() };
  worker.on('message', (reply: DecodeReply | 'ready') => {
    if (reply === 'ready') return;
    const p = slot.pending.get(reply.id);
    slot.pending.delete(reply.id);
    if (slot.pending.size === 0) worker.unref();
    if (p) settle(p, reply);
  });
  worker.on('error', (err) => {
    if (state.started) state.logger.error({ err }, 'decode worker crashed; replacing it');
  });
  worker.on('exit', () => onExit(state, slot));
  // Idle workers must not keep the process alive; busy ones must (see decode).
  worker.unref();
  return slot;
}

function onExit(state: PoolState, slot: Slot): void {
  for (const p of slot.pending.values()) p.reject(new Error('decode worker exited before answering'));
  slot.pending.clear();
  const i = state.slots.indexOf(slot);
  if (i < 0) return;
  // A crashed worker is replaced so the pool keeps its size.
  if (state.stopping) state.slots.splice(i, 1);
  else state.slots[i] = spawn(state);
}

/** See {@link DecodePool.start}. */
async function startPool(state: PoolState): Promise<void> {
  const { slots, size, logger } = state;
  if (size === 0 || slots.length > 0 || state.stopping) return;
  for (let i = 0; i < size; i++) slots.push(spawn(state));
  try {
    await Promise.all(slots.map((s) => ready(s.worker)));
  } catch (err) {
    state.stopping = true;
    await Promise.all(slots.map((s) => s.worker.terminate()));
    slots.length = 0;
    state.stopping = false;
    logger.warn({ err }, 'decode worker threads failed to start; decoding request bodies on the event loop');
    return;
  }
  state.started = true;
  logger.debug({ workers: size }, 'decode workers ready');
}

/** Decodes `body` on the least busy worker that takes `format` (the pool has workers), or inline when a protobuf body finds them all full. */
function decodeOnWorker(state: PoolState, signal: Signal, format: BodyFormat, body: Uint8Array): Promise<SplitRequest> {
  const { slots } = state;
  const candidates = format === 'json' ? slots.length : Math.min(state.protobufSlots, slots.length);
  let slot = slots[0] as Slot;
  for (let i = 1; i < candidates; i++) if ((slots[i] as Slot).pending.size < slot.pending.size) slot = slots[i] as Slot;
  if (slot.pending.size >= MAX_QUEUED_PER_WORKER) {
    if (format === 'json') return Promise.reject(saturated());
    return Promise.resolve().then(() => decodeInline(signal, format, body));
  }
  // Shared memory is walked where it lies; anything else is transferred to the worker.
  const own = body.buffer instanceof SharedArrayBuffer ? body : ownBuffer(body);
  const id = state.nextId++;
  return new Promise<SplitRequest>((resolve, reject) => {
    slot.pending.set(id, { resolve, reject });
    if (slot.pending.size === 1) slot.worker.ref();
    const job: DecodeJob = { id, signal, format, body: own };
    slot.worker.postMessage(job, own.buffer instanceof ArrayBuffer ? [own.buffer] : []);
  });
}

/** Creates a decode pool with `requested` workers (see {@link jsonWorkerCount}, `cores` defaults to availableParallelism()); 0 decodes inline. */
export function createDecodePool(requested: number, logger: Logger, cores = availableParallelism()): DecodePool {
  const size = jsonWorkerCount(requested, cores);
  const state: PoolState = { logger, size, protobufSlots: protobufWorkerCount(size, cores), slots: [], nextId: 0, stopping: false, started: false };
  const { slots } = state;
  return {
    start: () => startPool(state),
    offloadFrom(format) {
      if (slots.length === 0) return Number.POSITIVE_INFINITY;
      if (format === 'json') return 0;
      return state.protobufSlots > 0 ? OFFLOAD_PROTOBUF_BYTES : Number.POSITIVE_INFINITY;
    },
    decode(signal, format, body) {
      const offload = body.length >= this.offloadFrom(format);
      if (!offload) return Promise.resolve().then(() => decodeInline(signal, format, body));
      return decodeOnWorker(state, signal, format, body);
    },
    workers: () => slots.length,
    async stop() {
      state.stopping = true;
      const all = slots.slice();
      await Promise.all(all.map((s) => s.worker.terminate()));
      slots.length = 0;
    },
  };
}

/** Resolves once `worker` has loaded its module; rejects if it fails to or takes too long. */
function ready(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`decode worker not ready within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    const onMessage = (m: unknown): void => {
      if (m === 'ready') done();
    };
    const onError = (err: Error): void => done(err);
    const onExit = (code: number): void => done(new Error(`decode worker exited with code ${code} while loading`));
    function done(err?: Error): void {
      clearTimeout(timer);
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      if (err) reject(err);
      else resolve();
    }
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  });
}
