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
 *   reference instead of copying them into every enclosing layer: a record
 *   value was copied nine times on its way to the socket (record, records,
 *   batch body, batch, partition, topic, request body, request, size frame),
 *   each copy into a fresh zero-filled buffer; now about three times (the
 *   batch body for its CRC, the batch, the frame written to the socket).
 */
import { createRequire } from 'node:module';
import type * as KafkaJs from 'kafkajs';
import { applyEncoderPatch, type EncoderClass } from './kafkajs-encoder.ts';

const require = createRequire(import.meta.url);

type Crc = (buffer: Buffer) => number;

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
  return (buffer) => mod.crc32c(buffer) >>> 0;
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

const kafkajs = require('kafkajs') as typeof KafkaJs;
applyEncoderPatch(require('kafkajs/src/protocol/encoder.js') as EncoderClass);

/** Which CRC32C kafkajs checks record batches with: `native` unless `@node-rs/crc32` has no binding here. */
export const kafkaCrc32c: 'native' | 'javascript' = native !== undefined && require.cache[crcPath]?.exports === native ? 'native' : 'javascript';

export const { AssignerProtocol, ConfigResourceTypes, ConfigSource, Kafka, logLevel, PartitionAssigners, Partitioners } = kafkajs;
/** The kafkajs client class (a type as well as a value, as in kafkajs). */
export type Kafka = KafkaJs.Kafka;
export type {
  Admin,
  Consumer,
  DescribeConfigResponse,
  EachBatchPayload,
  KafkaJSProtocolError,
  LogEntry,
  logCreator,
  PartitionAssigner,
  Producer,
} from 'kafkajs';
