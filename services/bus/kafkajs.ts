/**
 * kafkajs, loaded with two fixes to how it encodes Produce requests. Every
 * other module imports kafkajs from here (biome.json refuses a direct
 * import: kafkajs must not load before the CRC is in place). kafkajs 2.2.4 is pinned in
 * package-lock.json and no longer maintained, so what is patched stays put;
 * kafkajs-encoder.test.ts checks that the bytes on the wire are unchanged.
 *
 * - CRC32C of every record batch comes from `@node-rs/crc32` (native,
 *   SSE4.2/NEON) instead of kafkajs' byte-at-a-time JavaScript loop (about
 *   250 MB/s on the event loop: ~0.7 ms per 176 KB batch).
 * - Its `Encoder` keeps large byte runs (record values, nested encoders) by
 *   reference instead of copying them into every enclosing layer, and its
 *   uncompressed `RecordBatch` computes the CRC over those runs in turn: a
 *   record value was copied nine times on its way to the socket (record,
 *   records, batch body, batch, partition, topic, request body, request,
 *   size frame), each copy into a fresh zero-filled buffer; now once, into
 *   the frame written to the socket. Every large buffer allocated counts as
 *   external memory, whose growth starts V8 mark-compact collections (pauses
 *   of 5-50 ms on the loaded 2-core box) several times a second under load.
 */
import { createRequire } from 'node:module';
import type * as KafkaJs from 'kafkajs';
import { applyEncoderPatch, type EncoderClass, type RecordBatchFn, ropeRecordBatch } from './kafkajs-encoder.ts';

const require = createRequire(import.meta.url);

/** A CRC32C of a buffer, and of a buffer continuing from a previous CRC. */
type Crc = ((buffer: Buffer) => number) & { append(buffer: Buffer, initial?: number): number };

/** `@node-rs/crc32`'s crc32c, or undefined when its native binding does not load on this platform. */
function nativeCrc32c(): Crc | undefined {
  let mod: { crc32c(input: Buffer, initial?: number): number };
  try {
    mod = require('@node-rs/crc32') as typeof mod;
  } catch (err) {
    // A platform without a prebuilt binding keeps kafkajs' own CRC (same result, slower).
    void err;
    return undefined;
  }
  return Object.assign((buffer: Buffer) => mod.crc32c(buffer) >>> 0, { append: (buffer: Buffer, initial?: number) => mod.crc32c(buffer, initial) >>> 0 });
}

// kafkajs' record batch module takes its CRC function with require() when it loads, so the native one
// must sit in the module cache before kafkajs is first required.
const crcPath = require.resolve('kafkajs/src/protocol/recordBatch/crc32C/index.js');
const native = nativeCrc32c();
if (native && require.cache[crcPath] === undefined) {
  const { Module } = require('node:module') as { Module: new (id: string) => NodeJS.Module };
  const m = new Module(crcPath);
  m.filename = crcPath;
  m.loaded = true;
  m.exports = native;
  require.cache[crcPath] = m;
}

// The Produce request module takes RecordBatch from the v0 module when it loads: swap it in before.
const recordBatchPath = require.resolve('kafkajs/src/protocol/recordBatch/v0/index.js');
const producePath = require.resolve('kafkajs/src/protocol/requests/produce/v3/request.js');
const EncoderModule = require('kafkajs/src/protocol/encoder.js') as EncoderClass;
applyEncoderPatch(EncoderModule);
let ropeBatches = false;
if (native && require.cache[producePath] === undefined) {
  const v0 = require(recordBatchPath) as { RecordBatch: RecordBatchFn };
  v0.RecordBatch = ropeRecordBatch(EncoderModule as unknown as Parameters<typeof ropeRecordBatch>[0], v0.RecordBatch, native.append);
  ropeBatches = true;
}
const kafkajs = require('kafkajs') as typeof KafkaJs;

/** Which CRC32C kafkajs checks record batches with: `native` unless `@node-rs/crc32` has no binding here. */
export const kafkaCrc32c: 'native' | 'javascript' = native !== undefined && require.cache[crcPath]?.exports === native ? 'native' : 'javascript';

/** Whether uncompressed record batches are framed without joining their bytes ({@link ropeRecordBatch}). */
export const kafkaRopeBatches: boolean = ropeBatches;

export const { AssignerProtocol, ConfigResourceTypes, ConfigSource, Kafka, logLevel, PartitionAssigners, Partitioners } = kafkajs;
/** The kafkajs client class (a type as well as a value, as in kafkajs). */
export type Kafka = KafkaJs.Kafka;
export type {
  Admin,
  Consumer,
  ConsumerConfig,
  DescribeConfigResponse,
  EachBatchPayload,
  KafkaJSProtocolError,
  LogEntry,
  logCreator,
  PartitionAssigner,
  Producer,
} from 'kafkajs';
