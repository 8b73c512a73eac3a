/**
 * A request under the collector's body limits is stored even when one of its
 * resources is larger than Kafka's default message limit (1 MiB): the
 * telemetry topics are made with a `max.message.bytes` that fits the largest
 * decompressed body the collector accepts. Truly oversized input still gets
 * its 413 (see bad-input.test.ts).
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { telemetryMaxMessageBytes } from '../../../services/bus/index.ts';
import { encodeExportRequest, splitExportRequest } from '../../../services/otlp/index.ts';
import { traceRequest } from '../../fixtures/otlp/generate.ts';
import { type Harness, startHarness, TopicReader } from './harness.ts';

let h: Harness;
let reader: TopicReader;

beforeAll(async () => {
  h = await startHarness();
  reader = await new TopicReader(h.bus, h.topics.traces).start();
});

afterAll(async () => {
  await reader?.stop();
  await h?.stop();
});

const MIB = 1024 * 1024;

it('stores a resource of several MiB sent as protobuf, plain and gzipped, byte for byte', async () => {
  // One resource of ~3.4 MB and one small one, in a body under ZEROOPS_MAX_BODY_BYTES (8 MiB).
  const request = traceRequest({ resources: 2, itemsPerResource: 10_000, attributesPerItem: 8, seed: 7 });
  (request.resourceSpans[1] as { scopeSpans: Array<{ spans: unknown[] }> }).scopeSpans[0]?.spans.splice(3);
  const body = encodeExportRequest('traces', request);
  const resources = splitExportRequest('traces', body).resources;
  const big = resources[0]?.bytes as Uint8Array;
  expect(big.byteLength).toBeGreaterThan(3 * MIB);
  expect(body.byteLength).toBeLessThan(h.config.maxBodyBytes);
  expect(telemetryMaxMessageBytes(h.config)).toBeGreaterThan(big.byteLength);

  const plain = await fetch(`${h.collector.httpAddress()}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
  expect(plain.status).toBe(200);
  const zipped = gzipSync(body);
  const gz = await fetch(`${h.collector.httpAddress()}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
    body: zipped,
  });
  expect(gz.status).toBe(200);

  const records = await reader.waitFor((rs) => rs.length >= 4, 60_000);
  const bigHex = Buffer.from(big).toString('hex');
  const stored = records.filter((r) => r.value.byteLength === big.byteLength);
  expect(stored).toHaveLength(2);
  for (const r of stored) expect(Buffer.from(r.value).toString('hex')).toBe(bigHex);
  expect(records.map((r) => r.key).sort()).toEqual([...resources.map((r) => r.service), ...resources.map((r) => r.service)].sort());
});
