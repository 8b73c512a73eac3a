/**
 * Bad input over OTLP/HTTP and OTLP/gRPC: each case gets the right status
 * and a message that says what is wrong, is counted, and leaves the
 * collector serving; memory held for requests returns to zero.
 */
import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OFFLOAD_PROTOBUF_BYTES } from '../../../services/collector/decode-pool.ts';
import { createCollector } from '../../../services/collector/index.ts';
import { createTelemetry, silentLogger } from '../../../services/core/index.ts';
import { encodeExportRequest } from '../../../services/otlp/index.ts';
import { Writer } from '../../../services/otlp/writer.ts';
import { traceRequest } from '../../fixtures/otlp/generate.ts';
import { type Harness, startHarness } from './harness.ts';

const PB = 'application/x-protobuf';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ maxBodyBytes: 256 * 1024, maxDecompressedBytes: 1024 * 1024, maxItemsPerRequest: 1000, collectorMaxInflightBytes: 2 * 1024 * 1024 });
});
afterAll(async () => {
  await h?.stop();
});

async function post(
  path: string,
  body: Uint8Array | string,
  headers: Record<string, string> = { 'content-type': PB },
  method = 'POST',
): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(`${h.collector.httpAddress()}${path}`, { method, headers, body: method === 'GET' ? undefined : body });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

const valid = (): Uint8Array => encodeExportRequest('traces', traceRequest({ itemsPerResource: 3 }));

function nested(depth: number): unknown {
  let v: unknown = { stringValue: 'leaf' };
  for (let i = 0; i < depth; i++) v = { arrayValue: { values: [v] } };
  return v;
}

/** A protobuf request whose span attribute nests `depth` arrays (built by hand: the encoder refuses it). */
function nestedProtobuf(depth: number): Uint8Array {
  const w = new Writer();
  w.tag(1, 2).fork().tag(2, 2).fork().tag(2, 2).fork(); // resource_spans.scope_spans.spans
  w.tag(1, 2).bytes(new Uint8Array(16).fill(1)).tag(2, 2).bytes(new Uint8Array(8).fill(2));
  w.tag(9, 2).fork().tag(1, 2).string('deep').tag(2, 2).fork(); // attributes[0] = { key, value }
  for (let i = 0; i < depth; i++) w.tag(5, 2).fork().tag(1, 2).fork(); // AnyValue.array_value.values[0]
  w.tag(1, 2).string('leaf');
  for (let i = 0; i < depth; i++) w.join().join();
  w.join().join().join().join().join();
  return w.finish().slice();
}

describe('OTLP/HTTP bad input', () => {
  it.each([
    ['truncated protobuf', () => valid().subarray(0, 200), PB, 400, /invalid OTLP protobuf ExportTraceServiceRequest: .*(runs past the end|truncated)/],
    ['random bytes', () => Uint8Array.from({ length: 300 }, (_, i) => (i * 7919 + 13) % 256), PB, 400, /invalid OTLP protobuf/],
    ['invalid JSON', () => '{"resourceSpans": [', 'application/json', 400, /invalid JSON/],
    ['JSON of the wrong shape', () => '{"resourceSpans": {"x": 1}}', 'application/json', 400, /resourceSpans: expected an array/],
    ['empty JSON body', () => '', 'application/json', 400, /empty body/],
    ['invalid UTF-8 in JSON', () => Uint8Array.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), 'application/json', 400, /not valid UTF-8/],
    [
      'unpaired surrogate in a JSON string',
      () => '{"resourceSpans":[{"resource":{"attributes":[{"key":"a","value":{"stringValue":"\\ud800"}}]}}]}',
      'application/json',
      400,
      /stringValue: string holds an unpaired UTF-16 surrogate/,
    ],
    [
      'deeply nested JSON attribute',
      () => JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: nested(50) }] }] }] }),
      'application/json',
      400,
      /nested deeper than 32/,
    ],
    [
      'deeply nested protobuf attribute',
      () => nestedProtobuf(50),
      PB,
      400,
      /nested deeper than 32 levels in ResourceSpans\[0\]\.scope_spans\.spans\.attributes/,
    ],
    ['wrong content type', () => valid(), 'text/plain', 415, /unsupported Content-Type .{1,2}text\/plain/],
  ])('%s', async (_name, body, contentType, status, message) => {
    const path = contentType === 'application/json' && String(body()).includes('resourceLogs') ? '/v1/logs' : '/v1/traces';
    const res = await post(path, body(), { 'content-type': contentType });
    expect(res.status).toBe(status);
    expect(res.text).toMatch(message);
  });

  it('invalid UTF-8 in a protobuf string names the field', async () => {
    const bytes = Buffer.from(
      encodeExportRequest('traces', { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '01'.repeat(16), spanId: '02'.repeat(8), name: 'AB' }] }] }] }),
    );
    bytes[bytes.indexOf(Buffer.from('AB'))] = 0xc3;
    const res = await post('/v1/traces', bytes);
    expect(res.status).toBe(400);
    expect(res.text).toContain('string field name is not valid UTF-8');
  });

  it('wrong method, unknown path', async () => {
    const get = await post('/v1/traces', '', {}, 'GET');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(get.text).toContain('GET is not allowed on /v1/traces');
    const nf = await post('/v1/spans', valid());
    expect(nf.status).toBe(404);
    expect(nf.text).toContain('use /v1/traces, /v1/metrics or /v1/logs');
  });

  it('an empty protobuf body is an empty, valid request', async () => {
    const res = await post('/v1/traces', new Uint8Array(0));
    expect(res.status).toBe(200);
  });

  it('oversized bodies, gzip bombs and corrupt gzip', async () => {
    const big = encodeExportRequest('traces', traceRequest({ itemsPerResource: 900, attributesPerItem: 8 }));
    expect(big.length).toBeGreaterThan(256 * 1024);
    const tooBig = await post('/v1/traces', big);
    expect(tooBig.status).toBe(413);
    expect(tooBig.text).toContain('exceeds 262144 bytes');
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(256 * 1024);
    const boom = await post('/v1/traces', bomb, { 'content-type': PB, 'content-encoding': 'gzip' });
    expect(boom.status).toBe(413);
    expect(boom.text).toContain('decompresses to more than 1048576 bytes');
    const corrupt = await post('/v1/traces', Buffer.from('1f8b0800deadbeef', 'hex'), { 'content-type': PB, 'content-encoding': 'gzip' });
    expect(corrupt.status).toBe(400);
    expect(corrupt.text).toContain('invalid gzip body');
    const brotli = await post('/v1/traces', valid(), { 'content-type': PB, 'content-encoding': 'br' });
    expect(brotli.status).toBe(415);
    const ok = await post('/v1/traces', gzipSync(valid()), { 'content-type': PB, 'content-encoding': 'gzip' });
    expect(ok.status).toBe(200);
  });

  it('too many items per request', async () => {
    const res = await post('/v1/traces', encodeExportRequest('traces', traceRequest({ resources: 3, itemsPerResource: 400, attributesPerItem: 0 })));
    expect(res.status).toBe(413);
    expect(res.text).toContain('request holds 1200 spans, more than the limit of 1000');
  });

  it('unknown fields are accepted; invalid items give a partial success', async () => {
    const w = new Writer();
    w.raw(valid()).tag(77, 2).string('from a newer OTLP');
    expect((await post('/v1/traces', w.finish().slice())).status).toBe(200);
    const req = traceRequest({ itemsPerResource: 4 }) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<Record<string, unknown>> }> }> };
    const spans = req.resourceSpans[0]?.scopeSpans[0]?.spans ?? [];
    (spans[1] as Record<string, unknown>).spanId = 'abcd';
    const res = await post('/v1/traces', JSON.stringify(req), { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({
      partialSuccess: { rejectedSpans: '1', errorMessage: '1 of 4 spans refused: Span.span_id has 2 bytes, expected 8' },
    });
    expect(h.telemetry.snapshot()['zeroops.collector.items{outcome=refused,reason=invalid_item,signal=traces}']).toBe(1);
  });

  it('answers 429 with Retry-After when the memory budget is used up, and recovers', async () => {
    const body = encodeExportRequest('traces', traceRequest({ itemsPerResource: 500, attributesPerItem: 8 }));
    // Hold most of the 2 MB budget with 12 nearly sent requests (each keeps its received bytes).
    const held = Array.from({ length: 12 }, () => slowRequest(body, Math.floor(body.length * 0.95)));
    await waitUntil(() => h.collector.bytesInFlight() >= 12 * Math.floor(body.length * 0.95));
    expect(h.collector.bytesInFlight() + body.length).toBeGreaterThan(2 * 1024 * 1024);
    const refused = await post('/v1/traces', body);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.text).toContain('memory limit');
    for (const r of held) r.finish();
    expect(await Promise.all(held.map((r) => r.status))).toEqual(Array(12).fill(200));
    await waitUntil(() => h.collector.bytesInFlight() === 0);
    expect((await post('/v1/traces', body)).status).toBe(200);
  });
});

/** Sends the first `first` bytes of a request and waits; `finish()` sends the rest. */
function slowRequest(body: Uint8Array, first: number): { finish(): void; status: Promise<number> } {
  const url = new URL(`${h.collector.httpAddress()}/v1/traces`);
  let finish = (): void => {};
  const status = new Promise<number>((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': PB, 'content-length': String(body.length) } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.write(body.subarray(0, first));
    finish = () => req.end(body.subarray(first));
  });
  return { finish: () => finish(), status };
}

async function waitUntil(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('auth and gRPC', () => {
  it('bearer tokens: 401 without or with a wrong token, 200 with a valid one; gRPC UNAUTHENTICATED', async () => {
    const c = createCollector(
      { bus: h.bus, logger: silentLogger(), telemetry: createTelemetry(), topics: h.topics },
      { ...h.config, ingestTokens: ['s3cret', 'other'] },
    );
    await c.start();
    try {
      const send = (auth?: string) =>
        fetch(`${c.httpAddress()}/v1/traces`, { method: 'POST', headers: { 'content-type': PB, ...(auth ? { authorization: auth } : {}) }, body: valid() });
      const none = await send();
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      expect(await none.text()).toContain('missing bearer token');
      expect((await send('Bearer nope')).status).toBe(401);
      expect((await send('Bearer other')).status).toBe(200);
      const err = await grpcExport(c.grpcAddress(), valid());
      expect(err?.code).toBe(grpc.status.UNAUTHENTICATED);
    } finally {
      await c.stop(2_000);
    }
  });

  it('gRPC: malformed protobuf is INVALID_ARGUMENT with a message; a valid request is OK', async () => {
    const err = await grpcExport(h.collector.grpcAddress(), valid().subarray(0, 100));
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err?.details).toMatch(/invalid OTLP protobuf/);
    expect(await grpcExport(h.collector.grpcAddress(), valid())).toBeNull();
  });

  it('gRPC: a body large enough for the decode worker is stored, and a malformed one is INVALID_ARGUMENT', async () => {
    expect(h.collector.jsonWorkers()).toBeGreaterThan(0);
    const large = encodeExportRequest('traces', traceRequest({ itemsPerResource: 400, attributesPerItem: 8, seed: 11 }));
    expect(large.length).toBeGreaterThanOrEqual(OFFLOAD_PROTOBUF_BYTES);
    const before = h.telemetry.snapshot()['zeroops.collector.items{outcome=accepted,reason=ok,signal=traces}'] ?? 0;
    expect(await grpcExport(h.collector.grpcAddress(), large)).toBeNull();
    expect(h.telemetry.snapshot()['zeroops.collector.items{outcome=accepted,reason=ok,signal=traces}']).toBe(Number(before) + 400);
    const broken = large.slice();
    broken.fill(0xff, 40_000, 40_010);
    const err = await grpcExport(h.collector.grpcAddress(), broken);
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err?.details).toMatch(/invalid OTLP protobuf/);
  });

  it('every refused request was counted and no bytes are held', () => {
    const snap = h.telemetry.snapshot();
    const refused = Object.entries(snap).filter(([k]) => k.startsWith('zeroops.collector.requests{') && k.includes('outcome=refused'));
    expect([...new Set(refused.map(([k]) => /reason=([a-z_]+)/.exec(k)?.[1]))].sort()).toEqual([
      'busy',
      'malformed',
      'method_not_allowed',
      'not_found',
      'too_large',
      'too_many_items',
      'unsupported_media_type',
    ]);
    expect(h.collector.bytesInFlight()).toBe(0);
  });
});

/** One unary Export call with raw bytes; resolves to the error, or null on OK. */
function grpcExport(address: string, body: Uint8Array): Promise<grpc.ServiceError | null> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const id = (b: Buffer): Buffer => b;
  return new Promise((resolve) => {
    client.makeUnaryRequest('/opentelemetry.proto.collector.trace.v1.TraceService/Export', id, id, Buffer.from(body), (err) => {
      client.close();
      resolve(err ?? null);
    });
  });
}
