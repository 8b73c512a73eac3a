/**
 * Telemetry is untrusted input. Oversized uploads get a 413 the client can
 * read (never a 100 Continue first, never a reset instead), and the bytes a
 * gzip bomb decompresses to count against the in-flight memory budget as
 * they are produced.
 */
import { type ClientRequest, request } from 'node:http';
import { type ClientHttp2Session, connect as http2Connect } from 'node:http2';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeExportRequest } from '../../../services/otlp/index.ts';
import { traceRequest } from '../../fixtures/otlp/generate.ts';
import { type Harness, startHarness } from './harness.ts';
import { rawUpload, statuses } from './raw-http.ts';

const MIB = 1024 * 1024;
const LIMIT = 2 * MIB;
const BUDGET = 64 * MIB;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ maxBodyBytes: LIMIT, maxDecompressedBytes: 32 * MIB, collectorMaxInflightBytes: BUDGET });
});
afterAll(async () => {
  await h?.stop();
});

const head = (headers: string): string => `POST /v1/traces HTTP/1.1\r\nhost: collector\r\ncontent-type: application/x-protobuf\r\n${headers}\r\n`;
const valid = (): Buffer => Buffer.from(encodeExportRequest('traces', traceRequest({ itemsPerResource: 3 })));

describe('oversized uploads over OTLP/HTTP', () => {
  it('Expect: 100-continue with a Content-Length over the limit gets a 413 and no 100', async () => {
    const x = await rawUpload(h.collector.httpAddress(), head(`content-length: ${200 * MIB}\r\nexpect: 100-continue\r\n`), {
      body: 'none',
      maxBytes: 0,
      timeoutMs: 20_000,
    });
    expect(statuses(x.received)).toEqual([413]);
    expect(x.received).toMatch(/connection: close/i);
    expect(x.received).toContain('body exceeds 2097152 bytes (ZEROOPS_MAX_BODY_BYTES)');
    expect(x.ending).not.toBe('open');
  });

  it('Expect: 100-continue on an acceptable request gets the 100, then the answer', async () => {
    const body = valid();
    const x = await rawUpload(h.collector.httpAddress(), head(`content-length: ${body.length}\r\nexpect: 100-continue\r\nconnection: close\r\n`), {
      body: 'none',
      maxBytes: 0,
      timeoutMs: 2_000,
    });
    // The client sent no body: it was told to go on, and the server waits for it.
    expect(statuses(x.received)).toEqual([100]);
    // node:http sends the body only once the 100 arrives.
    expect(await postExpecting(body)).toBe(200);
  });

  it('a refused Expect: 100-continue request (wrong content type) gets its answer without a 100', async () => {
    const x = await rawUpload(
      h.collector.httpAddress(),
      `POST /v1/traces HTTP/1.1\r\nhost: c\r\ncontent-type: text/plain\r\ncontent-length: 1000\r\nexpect: 100-continue\r\n\r\n`,
      { body: 'none', maxBytes: 0, timeoutMs: 20_000 },
    );
    expect(statuses(x.received)).toEqual([415]);
  });

  it('a 200 MB Content-Length body being sent gets a 413 it can read, long before the end', async () => {
    const x = await rawUpload(h.collector.httpAddress(), head(`content-length: ${200 * MIB}\r\n`), { body: 'plain', maxBytes: 200 * MIB, timeoutMs: 30_000 });
    expect(statuses(x.received)).toEqual([413]);
    expect(x.received).toContain('ZEROOPS_MAX_BODY_BYTES');
    expect(x.sentBeforeAnswer).toBeLessThan(100 * MIB);
    expect(x.ending).not.toBe('open');
  });

  it('a chunked body crossing the limit gets a 413 it can read, then the connection closes', async () => {
    const x = await rawUpload(h.collector.httpAddress(), head('transfer-encoding: chunked\r\n'), { body: 'chunked', maxBytes: 200 * MIB, timeoutMs: 30_000 });
    expect(statuses(x.received)).toEqual([413]);
    expect(x.received).toMatch(/connection: close/i);
    expect(x.received).toContain('body exceeds 2097152 bytes');
    expect(x.sentBeforeAnswer).toBeGreaterThan(LIMIT);
    expect(x.sentBeforeAnswer).toBeLessThan(100 * MIB);
    expect(x.ending).not.toBe('open');
  });

  it('after a 413 the server goes on reading for a while: a client still sending sees the end of the stream, not a reset', async () => {
    const x = await rawUpload(h.collector.httpAddress(), head('transfer-encoding: chunked\r\n'), {
      body: 'chunked',
      maxBytes: 200 * MIB,
      timeoutMs: 30_000,
      afterAnswer: 4 * MIB,
    });
    expect(statuses(x.received)).toEqual([413]);
    expect(x.ending).toBe('end');
  });

  it('a chunked body within the limit is accepted', async () => {
    const res = await postChunked(valid());
    expect(res).toBe(200);
    await waitUntil(() => h.collector.bytesInFlight() === 0);
  });
});

describe('gzip bombs and the memory budget', () => {
  it('30 concurrent 1 MB gzip bombs hold no more memory than the in-flight budget, and each gets 413 or 429', async () => {
    // 16 gzip members of 64 MiB of zeros each: ~1 MB that decompresses to 1 GiB.
    const bomb = Buffer.concat(Array<Buffer>(16).fill(gzipSync(Buffer.alloc(64 * MIB))));
    expect(bomb.length).toBeGreaterThan(0.9 * MIB);
    expect(bomb.length).toBeLessThan(LIMIT);
    await waitUntil(() => h.collector.bytesInFlight() === 0);
    const before = process.memoryUsage.rss();
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage.rss());
    }, 2);
    const answers = await Promise.all(Array.from({ length: 30 }, () => postRaw(bomb, { 'content-encoding': 'gzip' })));
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage.rss());
    for (const a of answers) {
      expect([413, 429]).toContain(a.status);
      expect(a.text).toMatch(a.status === 413 ? /decompresses to more than 33554432 bytes/ : /memory limit \(ZEROOPS_COLLECTOR_MAX_INFLIGHT_BYTES\)/);
    }
    // Before the fix each bomb decompressed to the 32 MiB cap before the budget was asked: ~1 GB here.
    expect(peak - before).toBeLessThan(BUDGET + 96 * MIB);
    await waitUntil(() => h.collector.bytesInFlight() === 0);
    expect((await postRaw(gzipSync(valid()), { 'content-encoding': 'gzip' })).status).toBe(200);
  });
});

describe('OTLP/gRPC messages and the memory budget', () => {
  it('charges a message to the budget while it arrives, and refuses one the budget cannot hold with RESOURCE_EXHAUSTED', async () => {
    const session = grpcSession();
    try {
      // Two calls each announce 30 MiB and send 25 MiB of it, then wait: the bytes are held, and counted, before the message is whole.
      const held = [openCall(session, 30 * MIB, 0), openCall(session, 30 * MIB, 0)];
      for (const c of held) c.send(25 * MIB);
      await waitUntil(() => h.collector.bytesInFlight() >= 50 * MIB);
      const third = openCall(session, 30 * MIB, 0);
      third.send(25 * MIB);
      const refused = await third.answer;
      expect(refused.status).toBe('8');
      expect(refused.message).toContain('memory limit (ZEROOPS_COLLECTOR_MAX_INFLIGHT_BYTES)');
      for (const c of held) c.cancel();
      await waitUntil(() => h.collector.bytesInFlight() === 0);
      const tooBig = await openCall(session, 33 * MIB, 0).answer;
      expect(tooBig.status).toBe('8');
      expect(tooBig.message).toContain('exceeds 33554432 bytes');
    } finally {
      session.close();
    }
  });

  it('gzip bombs over gRPC are refused (RESOURCE_EXHAUSTED) within the budget, which is then free again', async () => {
    const bomb = Buffer.concat(Array<Buffer>(16).fill(gzipSync(Buffer.alloc(64 * MIB))));
    const session = grpcSession();
    try {
      const calls = Array.from({ length: 10 }, () => openCall(session, bomb.length, 1));
      for (const c of calls) c.sendBytes(bomb, true);
      for (const a of await Promise.all(calls.map((c) => c.answer))) {
        expect(a.status).toBe('8');
        expect(a.message).toMatch(/decompresses to more than 33554432 bytes|memory limit/);
      }
      await waitUntil(() => h.collector.bytesInFlight() === 0);
    } finally {
      session.close();
    }
  });
});

/** An HTTP/2 connection to the gRPC receiver; its memory cap is raised so that it may queue tens of MiB of writes. */
function grpcSession(): ClientHttp2Session {
  return http2Connect(`http://${h.collector.grpcAddress()}`, { maxSessionMemory: 1024 });
}

/** A raw unary gRPC call on `session` whose message announces `declared` bytes (compressed flag `flag`, gzip). */
function openCall(session: ClientHttp2Session, declared: number, flag: number) {
  const stream = session.request({
    ':method': 'POST',
    ':path': '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    'content-type': 'application/grpc',
    te: 'trailers',
    ...(flag ? { 'grpc-encoding': 'gzip' } : {}),
  });
  const prefix = Buffer.alloc(5);
  prefix.writeUInt8(flag, 0);
  prefix.writeUInt32BE(declared, 1);
  stream.write(prefix);
  const answer = new Promise<{ status: string; message: string }>((resolve) => {
    let status = '';
    let message = '';
    // The status may come while this client is still sending (the server then resets the call with NO_ERROR).
    const read = (hs: Record<string, unknown>): void => {
      if (hs['grpc-message'] !== undefined) message = decodeURIComponent(String(hs['grpc-message']));
      if (hs['grpc-status'] === undefined) return;
      status = String(hs['grpc-status']);
      resolve({ status, message });
      stream.destroy();
    };
    stream.on('response', read);
    stream.on('trailers', read);
    stream.on('error', () => {});
    stream.on('close', () => resolve({ status, message }));
    stream.resume();
  });
  return {
    answer,
    send: (n: number) => {
      for (let k = 0; k < n; k += MIB) stream.write(Buffer.alloc(MIB));
    },
    sendBytes: (b: Buffer, end: boolean) => (end ? stream.end(b) : stream.write(b)),
    cancel: () => stream.close(),
  };
}

/** A POST of protobuf traces to the collector on a connection of its own, with `headers` added; the caller writes the body. */
function tracesPost(headers: Record<string, string> = {}): ClientRequest {
  const url = new URL(`${h.collector.httpAddress()}/v1/traces`);
  return request({
    host: url.hostname,
    port: url.port,
    path: url.pathname,
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/x-protobuf', ...headers },
  });
}

function postRaw(body: Uint8Array, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = tracesPost(headers);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function postExpecting(body: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = tracesPost({ 'content-length': String(body.length), expect: '100-continue' });
    req.on('continue', () => req.end(body));
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
}

function postChunked(body: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = tracesPost();
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.write(body.subarray(0, 10));
    req.end(body.subarray(10));
  });
}

async function waitUntil(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
