/**
 * The demo load generator's recurring surge: extra load on one service at a
 * fixed time of every period, and none outside it, sent to a real HTTP
 * server standing in for the service.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RecurringSurge, recurringSurgeAt, startLoad } from '../../../infra/demo/load-generator.ts';
import { SHOP } from '../../../infra/demo/topology.ts';

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
});
