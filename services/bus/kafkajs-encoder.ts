/**
 * A patch of kafkajs' `Encoder` (src/protocol/encoder.js) that keeps large
 * byte runs by reference (a rope) instead of copying them; see kafkajs.ts.
 *
 * An encoder is `chunks` (frozen byte runs, owned elsewhere or by earlier
 * writes) followed by the tail `buf[0, offset)` where small fields are still
 * written in place, exactly as kafkajs does. Only writes of `ROPE_MIN_BYTES`
 * or more, or of an encoder that already holds chunks, go by reference;
 * `.buffer` joins the rope once and keeps the joined copy. A referenced
 * buffer must not change afterwards: record values are owned by the bus once
 * published, and an encoder never writes into bytes it has handed out.
 */

/** The part of kafkajs' Encoder that the patch touches. */
export interface EncoderInstance {
  buf: Buffer;
  offset: number;
  chunks?: Buffer[];
  chunkBytes?: number;
  readonly buffer: Buffer;
  ensureAvailable(length: number): void;
  writeBufferInternal(buffer: Buffer): void;
  writeEncoder(value: EncoderInstance): EncoderInstance;
  writeEncoderArray(value: EncoderInstance[]): EncoderInstance;
  size(): number;
}

/** kafkajs' Encoder class. */
export interface EncoderClass {
  prototype: EncoderInstance;
  nextPowerOfTwo(n: number): number;
}

/** Byte runs at least this long are kept by reference rather than copied. */
export const ROPE_MIN_BYTES = 4096;

type Methods = Pick<EncoderInstance, 'ensureAvailable' | 'writeBufferInternal' | 'writeEncoder' | 'writeEncoderArray' | 'size'>;

const originals = new WeakMap<EncoderClass, { methods: Methods; buffer: PropertyDescriptor }>();

/** Moves the tail into the chunks; later small writes go to the rest of the tail's buffer. */
function sealTail(e: EncoderInstance): void {
  e.chunks ??= [];
  if (e.offset > 0) {
    e.chunks.push(e.buf.subarray(0, e.offset));
    e.chunkBytes = (e.chunkBytes ?? 0) + e.offset;
    e.buf = e.buf.subarray(e.offset);
    e.offset = 0;
  }
}

function pushChunk(e: EncoderInstance, b: Buffer): void {
  sealTail(e);
  (e.chunks as Buffer[]).push(b);
  e.chunkBytes = (e.chunkBytes ?? 0) + b.length;
}

/** Applies the patch to `Encoder` (idempotent). */
export function applyEncoderPatch(Encoder: EncoderClass): void {
  const proto = Encoder.prototype;
  if (originals.has(Encoder)) return;
  originals.set(Encoder, {
    methods: {
      ensureAvailable: proto.ensureAvailable,
      writeBufferInternal: proto.writeBufferInternal,
      writeEncoder: proto.writeEncoder,
      writeEncoderArray: proto.writeEncoderArray,
      size: proto.size,
    },
    buffer: Object.getOwnPropertyDescriptor(proto, 'buffer') as PropertyDescriptor,
  });
  const patched: Methods & ThisType<EncoderInstance> = {
    ensureAvailable(length) {
      if (this.offset + length <= this.buf.length) return;
      // Every byte below offset is written before it is read; nothing past offset is ever handed out.
      const grown = Buffer.allocUnsafe(Encoder.nextPowerOfTwo(this.offset + length));
      this.buf.copy(grown, 0, 0, this.offset);
      this.buf = grown;
    },
    writeBufferInternal(buffer) {
      if (buffer.length >= ROPE_MIN_BYTES) {
        pushChunk(this, buffer);
        return;
      }
      this.ensureAvailable(buffer.length);
      buffer.copy(this.buf, this.offset, 0);
      this.offset += buffer.length;
    },
    writeEncoder(value) {
      if (value == null || !Buffer.isBuffer(value.buf)) throw new Error('value should be an instance of Encoder');
      if (value.chunks === undefined || value.chunks.length === 0) {
        this.writeBufferInternal(value.buf.subarray(0, value.offset));
        return this;
      }
      sealTail(value);
      for (const c of value.chunks) pushChunk(this, c);
      return this;
    },
    writeEncoderArray(value) {
      if (!Array.isArray(value) || value.some((v) => v == null || !Buffer.isBuffer(v.buf))) {
        throw new Error('all values should be an instance of Encoder[]');
      }
      for (const v of value) this.writeEncoder(v);
      return this;
    },
    size() {
      return (this.chunkBytes ?? 0) + this.offset;
    },
  };
  Object.assign(proto, patched);
  Object.defineProperty(proto, 'buffer', {
    configurable: true,
    get(this: EncoderInstance): Buffer {
      if (this.chunks === undefined || this.chunks.length === 0) return this.buf.subarray(0, this.offset);
      sealTail(this);
      const chunks = this.chunks as Buffer[];
      if (chunks.length === 1) return chunks[0] as Buffer;
      const joined = Buffer.concat(chunks, this.chunkBytes);
      // Later reads and writeEncoder() of this encoder reuse the joined copy.
      this.chunks = [joined];
      return joined;
    },
  });
}

/** Undoes {@link applyEncoderPatch} (tests compare the bytes both produce). */
export function removeEncoderPatch(Encoder: EncoderClass): void {
  const o = originals.get(Encoder);
  if (!o) return;
  Object.assign(Encoder.prototype, o.methods);
  Object.defineProperty(Encoder.prototype, 'buffer', o.buffer);
  originals.delete(Encoder);
}

/** Arguments of kafkajs' `RecordBatch` (src/protocol/recordBatch/v0). */
export interface RecordBatchArgs {
  compression?: number;
  firstOffset?: unknown;
  firstTimestamp?: number;
  maxTimestamp?: number;
  partitionLeaderEpoch?: number;
  lastOffsetDelta?: number;
  transactional?: boolean;
  producerId?: unknown;
  producerEpoch?: number;
  firstSequence?: number;
  records?: unknown[];
}

/** kafkajs' `RecordBatch`: resolves to an encoder holding the batch as `writeBytes` frames it (int64 first offset, int32 length, batch). */
export type RecordBatchFn = (args: RecordBatchArgs) => Promise<EncoderInstance>;

type EncoderCtor = new () => EncoderInstance & {
  writeInt8(v: number): EncoderInstance;
  writeInt16(v: number): EncoderInstance;
  writeInt32(v: number): EncoderInstance;
  writeUInt32(v: number): EncoderInstance;
  writeInt64(v: unknown): EncoderInstance;
  writeArray(a: unknown[], type?: string): EncoderInstance;
};

const MAGIC_BYTE = 2;
const TRANSACTIONAL_MASK = 16;

/**
 * kafkajs' `RecordBatch` for uncompressed batches without joining the rope:
 * the CRC32C is computed over the batch body's chunks in turn (`crc32c` must
 * continue from the CRC it is given, as `@node-rs/crc32` does), and the body
 * goes into the batch, and the batch into its frame, by reference. The bytes
 * are those of kafkajs' own; compressed batches are left to `original`.
 */
export function ropeRecordBatch(Encoder: EncoderCtor, original: RecordBatchFn, crc32c: (b: Buffer, initial?: number) => number): RecordBatchFn {
  return async (args) => {
    if ((args.compression ?? 0) !== 0) return original(args);
    const now = Date.now();
    const records = args.records ?? [];
    const batchBody = new Encoder();
    batchBody.writeInt16(args.transactional ? TRANSACTIONAL_MASK : 0);
    batchBody.writeInt32(args.lastOffsetDelta ?? 0);
    batchBody.writeInt64(args.firstTimestamp ?? now);
    batchBody.writeInt64(args.maxTimestamp ?? now);
    batchBody.writeInt64(args.producerId ?? -1);
    batchBody.writeInt16(args.producerEpoch ?? 0);
    batchBody.writeInt32(args.firstSequence ?? 0);
    // As kafkajs: one element type for the whole array when all records share it.
    if (records.every((v) => typeof v === typeof records[0])) batchBody.writeArray(records, typeof records[0]);
    else batchBody.writeArray(records);
    let crc = 0;
    for (const c of batchBody.chunks ?? []) crc = crc32c(c, crc);
    crc = crc32c(batchBody.buf.subarray(0, batchBody.offset), crc) >>> 0;
    const batch = new Encoder();
    batch.writeInt32(args.partitionLeaderEpoch ?? 0);
    batch.writeInt8(MAGIC_BYTE);
    batch.writeUInt32(crc);
    batch.writeEncoder(batchBody);
    const framed = new Encoder();
    framed.writeInt64(args.firstOffset ?? 0);
    framed.writeInt32(batch.size());
    framed.writeEncoder(batch);
    return framed;
  };
}
