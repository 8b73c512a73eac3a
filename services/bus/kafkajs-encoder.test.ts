import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import * as busIndex from './index.ts';
import { kafkaCrc32c, kafkaRopeBatches } from './kafkajs.ts';
import { applyEncoderPatch, type EncoderClass, type RecordBatchFn, ROPE_MIN_BYTES, removeEncoderPatch } from './kafkajs-encoder.ts';

const require = createRequire(import.meta.url);
const Encoder = require('kafkajs/src/protocol/encoder.js') as EncoderClass;
type Produce = (args: Record<string, unknown>) => { encode(): Promise<unknown> };
const produceV3 = require('kafkajs/src/protocol/requests/produce/v3/request.js') as Produce;
const frame = require('kafkajs/src/protocol/request.js') as (a: Record<string, unknown>) => Promise<{ buffer: Buffer }>;
const { Types: Compression } = require('kafkajs/src/protocol/message/compression/index.js') as { Types: Record<string, number> };
const jsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (b: Buffer) => number;
const { crc32c } = require('@node-rs/crc32') as { crc32c(b: Buffer, initial?: number): number };

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 17) & 0xff;
  return b;
}

/** A Produce request with small and large values, headers, two topics and several partitions, as framed for the socket. */
async function encodeProduce(compression: number): Promise<Buffer> {
  const ts = 1_700_000_000_000;
  const message = (i: number, size: number) => ({
    key: `svc-${i}`,
    value: bytes(size, i),
    headers: { 'content-type': 'application/x-protobuf', 'zeroops-received-at': String(ts + i) },
    timestamp: ts + i,
  });
  const topicData = [
    {
      topic: 'telemetry.traces',
      partitions: [
        { partition: 0, firstSequence: 7, messages: [message(1, 10), message(2, ROPE_MIN_BYTES), message(3, 176_000)] },
        { partition: 5, firstSequence: 0, messages: [message(4, ROPE_MIN_BYTES - 1), message(5, 300_000)] },
      ],
    },
    { topic: 'telemetry.logs', partitions: [{ partition: 2, firstSequence: 3, messages: [message(6, 1), message(7, 2_000)] }] },
  ];
  const request = produceV3({ acks: -1, timeout: 10_000, producerId: 42, producerEpoch: 1, compression, topicData });
  const framed = await frame({ correlationId: 9, clientId: 'zeroops', request });
  return Buffer.from(framed.buffer);
}

describe('kafkajs patches', () => {
  afterAll(() => applyEncoderPatch(Encoder));

  it('frame Produce requests byte for byte as unpatched kafkajs does', async () => {
    for (const compression of [Compression.None, Compression.GZIP] as number[]) {
      const patched = await encodeProduce(compression);
      removeEncoderPatch(Encoder);
      const original = await encodeProduce(compression);
      applyEncoderPatch(Encoder);
      expect(patched.length).toBe(original.length);
      expect(patched.equals(original)).toBe(true);
    }
  });

  it('compute record batch CRCs with the native CRC32C, equal to kafkajs own', () => {
    // Loaded through the bus package as the services load it: no module may load kafkajs before kafkajs.ts.
    expect(typeof busIndex.createKafkaBus).toBe('function');
    expect(kafkaCrc32c).toBe('native');
    for (const n of [0, 1, 9, 4096, 176_001]) {
      const b = bytes(n, n);
      expect(crc32c(b) >>> 0).toBe(jsCrc32c(b));
    }
  });

  it('leave a large value untouched and unshared with later writes', () => {
    const value = bytes(ROPE_MIN_BYTES * 2, 3);
    const copy = Buffer.from(value);
    const E = Encoder as unknown as new () => { writeBytes(b: Buffer): unknown; writeInt32(n: number): unknown; buffer: Buffer };
    const e = new E();
    e.writeInt32(1);
    e.writeBytes(value);
    e.writeInt32(2);
    const out = e.buffer;
    expect(value.equals(copy)).toBe(true);
    expect(out.readInt32BE(0)).toBe(1);
    expect(out.readInt32BE(4)).toBe(value.length);
    expect(out.subarray(8, 8 + value.length).equals(copy)).toBe(true);
    expect(out.readInt32BE(8 + value.length)).toBe(2);
    expect(e.buffer).toBe(out);
  });

  it('frame uncompressed record batches without joining them, byte for byte as kafkajs RecordBatch does', async () => {
    expect(kafkaRopeBatches).toBe(true);
    const path = require.resolve('kafkajs/src/protocol/recordBatch/v0/index.js');
    const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (a: Record<string, unknown>) => unknown;
    const rope = (require(path) as { RecordBatch: RecordBatchFn }).RecordBatch;
    // kafkajs' own module, loaded afresh beside the one in use.
    const saved = require.cache[path];
    delete require.cache[path];
    const original = (require(path) as { RecordBatch: RecordBatchFn }).RecordBatch;
    require.cache[path] = saved;
    expect(original).not.toBe(rope);
    for (const sizes of [[10], [ROPE_MIN_BYTES, 176_000, 3], [300_000, ROPE_MIN_BYTES - 1]]) {
      const records = sizes.map((n, i) => Record({ offsetDelta: i, timestampDelta: i, key: `k${i}`, value: bytes(n, i), headers: { h: String(i) } }));
      const args = {
        records,
        firstTimestamp: 1_700_000_000_000,
        maxTimestamp: 1_700_000_000_009,
        producerId: 42,
        producerEpoch: 1,
        firstSequence: 5,
        lastOffsetDelta: sizes.length - 1,
      };
      const [a, b] = [await rope(args), await original(args)];
      expect(a.size()).toBe(b.size());
      expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    }
  });

  it('continue a CRC32C from a previous one, as the rope batches need', () => {
    const [a, b] = [bytes(5_000, 1), bytes(70_001, 2)];
    expect(crc32c(b, crc32c(a)) >>> 0).toBe(jsCrc32c(Buffer.concat([a, b])));
  });
});
