/**
 * The demo load generator's recurring surge: extra load on one service at a
 * fixed time of every period, and none outside it, sent to a real HTTP
 * server standing in for the service.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RecurringSurge, type RequestResult, recurringSurgeAt, startLoad } from '../../../infra/demo/load-generator.ts';
import { SHOP } from '../../../infra/demo/topology.ts';
import { createRng } from '../../../models/stats/index.ts';

const MIN = 60_000;

describe('recurring surges of the demo load generator', () => {
  let server: Server;
  let url = '';
  const hits: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('is on from atMinute for durationMinutes of every period, and off the rest of it', () => {
    const s: RecurringSurge = { service: 'cart', magnitude: 4, everyMinutes: 60, atMinute: 30, durationMinutes: 5 };
    const day = 1_000 * 60 * MIN;
    expect(recurringSurgeAt(s, day + 30 * MIN)).toBe(4);
    expect(recurringSurgeAt(s, day + 34.9 * MIN)).toBe(4);
    expect(recurringSurgeAt(s, day + 35 * MIN)).toBeUndefined();
    expect(recurringSurgeAt(s, day + 29.9 * MIN)).toBeUndefined();
    expect(recurringSurgeAt(s, day + 24 * 60 * MIN + 31 * MIN)).toBe(4);
  });

  const sendFor = async (surge: RecurringSurge, ms: number) => {
    hits.length = 0;
    // Only the surged service has an address: the frontend's daily traffic goes nowhere.
    const load = startLoad({ services: [...SHOP], urls: { cart: url }, rps: 12, dayMinutes: 60, surges: () => [], recurringSurge: surge });
    await new Promise((r) => setTimeout(r, ms));
    load.stop();
    return hits.length;
  };

  it('sends the surge straight to the service while it is on, and nothing while it is off', async () => {
    const nowMinute = (Date.now() % (60 * MIN)) / MIN;
    const on = { service: 'cart', magnitude: 4, everyMinutes: 60, atMinute: nowMinute - 1, durationMinutes: 10 };
    // Off first: requests of the run that surges may still land after it stopped.
    expect(await sendFor({ ...on, atMinute: nowMinute + 20 }, 1_000)).toBe(0);
    // At least 2 extra requests per second for the 2 s it runs.
    expect(await sendFor(on, 2_000)).toBeGreaterThanOrEqual(3);
  });

  it('follows the clock it is given, and reports each request with its latency', async () => {
    hits.length = 0;
    const results: RequestResult[] = [];
    const surge = { service: 'cart', magnitude: 4, everyMinutes: 60, atMinute: 0, durationMinutes: 10 };
    // The wall clock is outside the surge; the demo's clock, 5 minutes into the period, is inside it.
    const offset = (((5 * MIN - Date.now()) % (60 * MIN)) + 60 * MIN) % (60 * MIN);
    const load = startLoad({
      services: [...SHOP],
      urls: { cart: url },
      rps: 12,
      dayMinutes: 60,
      surges: () => [],
      recurringSurge: surge,
      clock: () => Date.now() + offset,
      onResult: (r) => results.push(r),
    });
    await new Promise((r) => setTimeout(r, 2_000));
    load.stop();
    await new Promise((r) => setTimeout(r, 500));
    // Every result is a surge request to cart (stop() ends those still open as 'error').
    expect(results.every((r) => r.service === 'cart' && r.ms >= 0)).toBe(true);
    expect(results.filter((r) => r.status === '200').length).toBeGreaterThanOrEqual(3);
  });

  it('keeps its rate when its timer fires late (a busy event loop)', async () => {
    hits.length = 0;
    const nowMinute = (Date.now() % (60 * MIN)) / MIN;
    // 2 extra requests per second at the least (the surge's floor at a low rate: rps 1).
    const surge = { service: 'cart', magnitude: 2, everyMinutes: 60, atMinute: nowMinute - 1, durationMinutes: 10 };
    const load = startLoad({ services: [...SHOP], urls: { cart: url }, rps: 1, dayMinutes: 60, surges: () => [], recurringSurge: surge });
    // 4 s in which the loop is blocked 400 ms at a time: a 100 ms timer fires about 10 times instead of 40.
    const end = Date.now() + 4_000;
    while (Date.now() < end) {
      const until = Date.now() + 400;
      while (Date.now() < until) {
        // busy
      }
      await new Promise((r) => setImmediate(r));
    }
    load.stop();
    await new Promise((r) => setTimeout(r, 500));
    // 2 req/s for 4 s: 8 (a fixed 100 ms of credit per tick sent about 2).
    expect(hits.length).toBeGreaterThanOrEqual(6);
  });

  it('sends the same requests for the same seeded random (the same traffic on both sides of a bench)', async () => {
    // Requests to the frontend only (path and item id), in the order they are sent, for 1.5 s at 20 req/s.
    const sequence = async (seed: number) => {
      hits.length = 0;
      const rng = createRng(seed);
      const load = startLoad({ services: [...SHOP], urls: { frontend: url }, rps: 20, dayMinutes: 60, surges: () => [], random: () => rng.next() });
      await new Promise((r) => setTimeout(r, 1_500));
      load.stop();
      await new Promise((r) => setTimeout(r, 300));
      return [...hits];
    };
    const a = await sequence(7);
    const b = await sequence(7);
    const c = await sequence(8);
    // The timer may fit a request more or less in the same time: the sequences are compared over the shorter one.
    const n = Math.min(a.length, b.length, c.length);
    expect(n).toBeGreaterThanOrEqual(10);
    expect(new Set(a.map((h) => h.split('?')[0])).size).toBeGreaterThan(1);
    expect(b.slice(0, n)).toEqual(a.slice(0, n));
    expect(c.slice(0, n)).not.toEqual(a.slice(0, n));
  });
});
