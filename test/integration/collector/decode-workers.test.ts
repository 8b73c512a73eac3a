/**
 * OTLP/JSON converted on worker threads gives the same bus records, byte for
 * byte, and the same 400 messages as converting inline on the event loop;
 * large protobuf bodies are validated and split on the workers too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus, ConsumedRecord } from '../../../services/bus/bus.ts';
import { createMemoryBus } from '../../../services/bus/memory-bus.ts';
import { topicNames } from '../../../services/bus/topics.ts';
import {
  createDecodePool,
  jsonWorkerCount,
  MAX_QUEUED_PER_WORKER,
  OFFLOAD_PROTOBUF_BYTES,
  protobufWorkerCount,
} from '../../../services/collector/decode-pool.ts';
import { type Collector, createCollector, type IngestError, RETRY_AFTER_MS } from '../../../services/collector/index.ts';
import { createTelemetry, loadConfig, silentLogger } from '../../../services/core/index.ts';
import { encodeExportRequest, type Signal, type SplitRequest, splitExportRequest } from '../../../services/otlp/index.ts';
import { logsRequest, metricsRequest, traceRequest } from '../../fixtures/otlp/generate.ts';
import { TopicReader } from './harness.ts';

interface Mode {
  bus: Bus;
  collector: Collector;
  readers: Record<Signal, TopicReader>;
}

async function startMode(collectorJsonWorkers: number): Promise<Mode> {
  const bus = createMemoryBus();
  await bus.connect();
  const topics = topicNames('json.');
  const config = loadConfig({}, { otlpHttpPort: 0, otlpGrpcPort: 0, collectorJsonWorkers });
  const collector = createCollector({ bus, logger: silentLogger(), telemetry: createTelemetry(), topics }, config);
  await collector.start();
  const readers = {
    traces: await new TopicReader(bus, topics.traces).start(),
    metrics: await new TopicReader(bus, topics.metrics).start(),
    logs: await new TopicReader(bus, topics.logs).start(),
  };
  return { bus, collector, readers };
}

async function stopMode(m: Mode | undefined): Promise<void> {
  if (!m) return;
  for (const r of Object.values(m.readers)) await r.stop();
  await m.collector.stop(5_000);
  await m.bus.close();
}

async function postJson(m: Mode, signal: Signal, body: string | Uint8Array): Promise<{ status: number; text: string }> {
  const res = await fetch(`${m.collector.httpAddress()}/v1/${signal}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: res.status, text: await res.text() };
}

/** What must match between modes: everything but the receive time. */
function comparable(records: ConsumedRecord[]): unknown[] {
  return records.map((r) => {
    const { 'zeroops-received-at': receivedAt, ...headers } = r.headers;
    expect(Number(receivedAt)).toBeGreaterThan(0);
    return { topic: r.topic, partition: r.partition, offset: r.offset, key: r.key, value: Buffer.from(r.value).toString('hex'), headers };
  });
}

const requests: Array<[Signal, unknown]> = [
  ['traces', traceRequest({ resources: 4, itemsPerResource: 50, seed: 1 })],
  ['metrics', metricsRequest({ resources: 3, itemsPerResource: 40, seed: 2 })],
  ['logs', logsRequest({ resources: 5, itemsPerResource: 60, seed: 3 })],
  // A partial success: one span with a bad trace id.
  [
    'traces',
    {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                { traceId: '00'.repeat(16), spanId: '02'.repeat(8), name: 'zero' },
                { traceId: '01'.repeat(16), spanId: '02'.repeat(8), name: 'ok' },
              ],
            },
          ],
        },
      ],
    },
  ],
];

const malformedBodies: Array<[string, string | Uint8Array]> = [
  ['invalid JSON', '{"resourceSpans": ['],
  ['wrong shape', '{"resourceSpans": {"x": 1}}'],
  ['empty body', ''],
  ['invalid UTF-8', Uint8Array.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])],
];

let inline: Mode | undefined;
let pooled: Mode | undefined;

beforeAll(async () => {
  [inline, pooled] = await Promise.all([startMode(0), startMode(2)]);
});
afterAll(async () => {
  await Promise.all([stopMode(inline), stopMode(pooled)]);
});

describe('OTLP/JSON on worker threads', () => {
  it('runs the requested workers, at most one per core, protobuf bodies on all but one core', () => {
    expect(inline?.collector.jsonWorkers()).toBe(0);
    expect(pooled?.collector.jsonWorkers()).toBe(jsonWorkerCount(2));
    expect(jsonWorkerCount(2, 8)).toBe(2);
    expect(jsonWorkerCount(2, 2)).toBe(2);
    expect(jsonWorkerCount(2, 1)).toBe(1);
    expect(protobufWorkerCount(2, 2)).toBe(1);
    expect(protobufWorkerCount(2, 8)).toBe(2);
    expect(protobufWorkerCount(1, 1)).toBe(0);
  });

  it('on one core decodes JSON on its worker and every protobuf body inline', async () => {
    const pool = createDecodePool(2, silentLogger(), 1);
    await pool.start();
    try {
      expect(pool.workers()).toBe(1);
      expect(pool.offloadFrom('json')).toBe(0);
      expect(pool.offloadFrom('protobuf')).toBe(Number.POSITIVE_INFINITY);
    } finally {
      await pool.stop();
    }
  });

  it('sends protobuf bodies to the protobuf workers only, JSON bodies to any', async () => {
    // Two workers on two cores: protobuf bodies go to the first only, so a queue of them leaves the second to JSON.
    const pool = createDecodePool(2, silentLogger(), 2);
    await pool.start();
    try {
      expect(pool.workers()).toBe(2);
      const [signal, request] = requests[0] as (typeof requests)[number];
      const large = encodeExportRequest('traces', traceRequest({ resources: 3, itemsPerResource: 200, attributesPerItem: 8, seed: 5 }));
      expect(large.length).toBeGreaterThanOrEqual(OFFLOAD_PROTOBUF_BYTES);
      // Enough protobuf bodies to fill both queues, were they spread over both workers.
      const busy = Array.from({ length: 2 * MAX_QUEUED_PER_WORKER }, () => pool.decode('traces', 'protobuf', large.slice()));
      // The first worker is full (the rest went inline); a JSON body still finds the second.
      const json = pool.decode(signal, 'json', new TextEncoder().encode(JSON.stringify(request)));
      await expect(json).resolves.toBeDefined();
      await Promise.all(busy);
    } finally {
      await pool.stop();
    }
  });

  it('publishes byte-identical records and answers alike', async () => {
    const modes = [inline as Mode, pooled as Mode];
    for (const [signal, request] of requests) {
      const body = JSON.stringify(request);
      const [a, b] = await Promise.all(modes.map((m) => postJson(m, signal, body)));
      expect(a?.status).toBe(200);
      expect(b).toEqual(a);
    }
    const resources: Record<Signal, number> = { traces: 5, metrics: 3, logs: 5 };
    for (const signal of ['traces', 'metrics', 'logs'] as const) {
      for (const m of modes) await m.readers[signal].waitFor((r) => r.length >= resources[signal], 10_000);
      expect(comparable(pooled?.readers[signal].records ?? [])).toEqual(comparable(inline?.readers[signal].records ?? []));
    }
  });

  it.each(malformedBodies)('answers %s with the same 400 message', async (_name, body) => {
    const [a, b] = await Promise.all([postJson(inline as Mode, 'traces', body), postJson(pooled as Mode, 'traces', body)]);
    expect(a.status).toBe(400);
    expect(a.text.length).toBeGreaterThan(0);
    expect(b).toEqual(a);
  });

  it('refuses with 429 and Retry-After once the workers hold their queue', async () => {
    const json = createDecodePool(1, silentLogger(), 2);
    await json.start();
    try {
      expect(json.workers()).toBe(1);
      const body = JSON.stringify(traceRequest({ resources: 2, itemsPerResource: 20, seed: 9 }));
      const results = await Promise.allSettled(
        Array.from({ length: MAX_QUEUED_PER_WORKER + 4 }, () => json.decode('traces', 'json', new TextEncoder().encode(body))),
      );
      const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as IngestError);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(MAX_QUEUED_PER_WORKER);
      expect(refused).toHaveLength(4);
      for (const e of refused) expect([e.statusCode, e.reason, e.retryAfterMs]).toEqual([429, 'busy', RETRY_AFTER_MS]);
    } finally {
      await json.stop();
    }
    expect(json.workers()).toBe(0);
  });

  it('validates and splits large protobuf bodies on a worker, small ones inline, with the same result', async () => {
    const json = createDecodePool(1, silentLogger(), 2);
    await json.start();
    const view = (split: SplitRequest) => ({ ...split, resources: split.resources.map((r) => ({ ...r, bytes: Buffer.from(r.bytes).toString('hex') })) });
    try {
      const large = encodeExportRequest('traces', traceRequest({ resources: 3, itemsPerResource: 200, attributesPerItem: 8, seed: 4 }));
      expect(large.length).toBeGreaterThanOrEqual(OFFLOAD_PROTOBUF_BYTES);
      const expected = view(splitExportRequest('traces', large.slice()));
      const sent = large.slice();
      const got = await json.decode('traces', 'protobuf', sent);
      // Transferred to the worker: the caller's buffer is detached.
      expect(sent.byteLength).toBe(0);
      expect(view(got)).toEqual(expected);
      // A body in shared memory is walked in place: nothing is transferred and the resources view it.
      const shared = new Uint8Array(new SharedArrayBuffer(large.length));
      shared.set(large);
      const inPlace = await json.decode('traces', 'protobuf', shared);
      expect(shared.byteLength).toBe(large.length);
      expect(view(inPlace)).toEqual(expected);
      for (const r of inPlace.resources) expect(r.bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
      const small = encodeExportRequest('logs', logsRequest({ resources: 2, itemsPerResource: 5, seed: 5 }));
      expect(small.length).toBeLessThan(OFFLOAD_PROTOBUF_BYTES);
      const kept = small.slice();
      expect(view(await json.decode('logs', 'protobuf', kept))).toEqual(view(splitExportRequest('logs', small)));
      expect(kept.byteLength).toBe(small.byteLength);
      const bad = new Uint8Array(OFFLOAD_PROTOBUF_BYTES + 10).fill(0xff);
      await expect(json.decode('traces', 'protobuf', bad)).rejects.toMatchObject({
        statusCode: 400,
        message: expect.stringContaining('invalid OTLP protobuf'),
      });
    } finally {
      await json.stop();
    }
  });

  it('decodes protobuf inline instead of refusing it when the workers hold their queue', async () => {
    const json = createDecodePool(1, silentLogger(), 2);
    await json.start();
    try {
      const body = encodeExportRequest('traces', traceRequest({ resources: 2, itemsPerResource: 200, attributesPerItem: 8, seed: 6 }));
      const results = await Promise.allSettled(Array.from({ length: MAX_QUEUED_PER_WORKER + 4 }, () => json.decode('traces', 'protobuf', body.slice())));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(MAX_QUEUED_PER_WORKER + 4);
      for (const r of results) if (r.status === 'fulfilled') expect(r.value.items).toBe(400);
    } finally {
      await json.stop();
    }
  });
});
