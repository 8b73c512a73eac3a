/**
 * Fuzz: mutated OTLP requests (bit flips, truncations, insertions,
 * duplications, splices) must be either accepted or refused with a 400 and
 * a message; never an exception of another kind, a 5xx, or a dead process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeResource, encodeExportRequest, ProtoError, type Signal, splitExportRequest } from '../../../services/otlp/index.ts';
import { logsRequest, metricsRequest, rng, traceRequest } from '../../fixtures/otlp/generate.ts';
import { type Harness, startHarness } from './harness.ts';

const SIGNALS: Signal[] = ['traces', 'metrics', 'logs'];

function seedRequest(signal: Signal, seed: number): unknown {
  const o = { resources: 2, itemsPerResource: 3, attributesPerItem: 3, seed };
  return signal === 'traces' ? traceRequest(o) : signal === 'metrics' ? metricsRequest(o) : logsRequest(o);
}

/** Returns a mutated copy of `b`. */
function mutate(b: Uint8Array, rand: () => number): Uint8Array {
  const at = Math.floor(rand() * b.length);
  const out = Buffer.from(b);
  switch (Math.floor(rand() * 6)) {
    case 0:
      out[at] = (out[at] as number) ^ (1 << Math.floor(rand() * 8));
      return out;
    case 1:
      return out.subarray(0, at);
    case 2:
      return Buffer.concat([out.subarray(0, at), Buffer.from([Math.floor(rand() * 256), Math.floor(rand() * 256)]), out.subarray(at)]);
    case 3: {
      const len = Math.floor(rand() * 40);
      return Buffer.concat([out.subarray(0, at), out.subarray(at, at + len), out.subarray(at)]);
    }
    case 4:
      out[at] = rand() < 0.5 ? 0xff : 0x80;
      return out;
    default:
      return Buffer.concat([out.subarray(0, at), out.subarray(Math.floor(rand() * b.length))]);
  }
}

describe('splitExportRequest under mutation', () => {
  it('throws only ProtoError and, when it accepts, yields decodable resources', () => {
    const rand = rng(42);
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const signal = SIGNALS[i % 3] as Signal;
      const body = mutate(encodeExportRequest(signal, seedRequest(signal, i % 7)), rand);
      try {
        const split = splitExportRequest(signal, body);
        expect(split.rejected).toBeLessThanOrEqual(split.items);
        for (const r of split.resources) decodeResource(signal, r.bytes);
        accepted++;
      } catch (err) {
        if (!(err instanceof ProtoError)) throw new Error(`mutation ${i} (${signal}) threw ${String(err)}`, { cause: err });
      }
    }
    // Some mutations stay valid protobuf (e.g. a flipped bit in a double); most do not.
    expect(accepted).toBeGreaterThan(100);
    expect(accepted).toBeLessThan(19_000);
  });
});

describe('collector under mutated requests', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('answers 3,000 mutated requests with 200 or 400 + message, then still serves', async () => {
    const rand = rng(7);
    const counts: Record<number, number> = {};
    let n = 0;
    const worker = async (): Promise<void> => {
      while (n < 3_000) {
        const i = n++;
        const signal = SIGNALS[i % 3] as Signal;
        const json = i % 4 === 0;
        const valid = json ? new TextEncoder().encode(JSON.stringify(seedRequest(signal, i % 5))) : encodeExportRequest(signal, seedRequest(signal, i % 5));
        const res = await fetch(`${h.collector.httpAddress()}/v1/${signal}`, {
          method: 'POST',
          headers: { 'content-type': json ? 'application/json' : 'application/x-protobuf' },
          body: mutate(valid, rand),
        });
        const text = await res.text();
        counts[res.status] = (counts[res.status] ?? 0) + 1;
        if (res.status !== 200) expect(text, `request ${i}`).toMatch(/"message":"invalid|invalid OTLP|empty body|not valid UTF-8/);
        expect([200, 400], `request ${i}: ${text.slice(0, 200)}`).toContain(res.status);
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    expect(Object.keys(counts).sort()).toEqual(['200', '400']);
    const ok = await fetch(`${h.collector.httpAddress()}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: encodeExportRequest('logs', seedRequest('logs', 1)),
    });
    expect(ok.status).toBe(200);
    expect(h.collector.bytesInFlight()).toBe(0);
    expect(process.memoryUsage().heapUsed).toBeLessThan(512 * 1024 * 1024);
  });
});
