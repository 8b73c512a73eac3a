/**
 * Telemetry is untrusted input. Oversized uploads get a 413 the client can
 * read (never a 100 Continue first, never a reset instead), and the bytes a
 * gzip bomb decompresses to count against the in-flight memory budget as
 * they are produced.
 */
import { request } from 'node:http';
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
    console.log(`gzip bombs: RSS +${((peak - before) / MIB).toFixed(0)} MiB`);
    expect(peak - before).toBeLessThan(BUDGET + 96 * MIB);
    await waitUntil(() => h.collector.bytesInFlight() === 0);
    expect((await postRaw(gzipSync(valid()), { 'content-encoding': 'gzip' })).status).toBe(200);
  });
});

function postRaw(body: Uint8Array, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const url = new URL(`${h.collector.httpAddress()}/v1/traces`);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/x-protobuf', ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('latin1');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function postExpecting(body: Uint8Array): Promise<number> {
  const url = new URL(`${h.collector.httpAddress()}/v1/traces`);
  return new Promise((resolve, reject) => {
    const req = request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/x-protobuf', 'content-length': String(body.length), expect: '100-continue' },
    });
    req.on('continue', () => req.end(body));
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
}

function postChunked(body: Uint8Array): Promise<number> {
  const url = new URL(`${h.collector.httpAddress()}/v1/traces`);
  return new Promise((resolve, reject) => {
    const req = request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/x-protobuf' },
    });
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
