/**
 * A small real HTTP service with versions, for managed-rollout tests: POST
 * /deploy {version} rolls a version out (honouring Idempotency-Key), POST
 * /rollback goes back to the previous one, GET /work answers 500 for a share
 * of requests when the running version is a bad one. A sampler sends it
 * steady traffic and writes one window of its red signals per second to
 * the rollups table, the shape the detector writes (the detector itself is
 * not run here). Used by the managed-changes tests and `make bench-changes`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rollups, type Store } from '../../services/store/index.ts';

/** The running service and what it received. */
export interface VersionedService {
  url: string;
  version(): string;
  /** Deploy requests received (with their idempotency keys), rollbacks received. */
  deploys: Array<{ version: string; key: string }>;
  rollbacks: string[];
  /** Starts writing one window every `windowMs` (default 1 s) for `service` from the traffic it sends. */
  sample(store: Store, service: string, windowMs?: number): void;
  /** Windows written so far. */
  windows(): number;
  close(): Promise<void>;
}

/** Starts the service at version `initial`; versions in `bugRates` fail that share of requests. */
export async function startVersionedService(initial: string, bugRates: Record<string, number>): Promise<VersionedService> {
  const history: string[] = [];
  let current = initial;
  let served = 0;
  let windows = 0;
  const applied = new Set<string>();
  let sampler: NodeJS.Timeout | undefined;
  const body = (req: import('node:http').IncomingMessage) =>
    new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
  const server: Server = createServer(async (req, res) => {
    const text = await body(req);
    const key = String(req.headers['idempotency-key'] ?? '');
    if (req.method === 'POST' && req.url === '/deploy') {
      const version = String((JSON.parse(text || '{}') as { version?: unknown }).version ?? '');
      s.deploys.push({ version, key });
      // A repeated request with the same key is applied once.
      if (!applied.has(key)) {
        applied.add(key);
        history.push(current);
        current = version;
      }
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ version: current }));
    }
    if (req.method === 'POST' && req.url === '/rollback') {
      s.rollbacks.push(key);
      if (!applied.has(key)) {
        applied.add(key);
        current = history.pop() ?? current;
      }
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ version: current }));
    }
    if (req.url === '/work') {
      served++;
      // Failures spread evenly over every 100 requests (61 is prime to 100: a permutation), so each window sees about the share.
      const bad = ((served * 61) % 100) / 100 < (bugRates[current] ?? 0);
      return res.writeHead(bad ? 500 : 200).end(current);
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const s: VersionedService = {
    url,
    version: () => current,
    deploys: [],
    rollbacks: [],
    windows: () => windows,
    sample(store, service, windowMs = 1_000) {
      const tick = async () => {
        let errors = 0;
        const n = 20;
        for (let i = 0; i < n; i++) {
          const r = await fetch(`${url}/work`);
          await r.arrayBuffer();
          if (r.status >= 500) errors++;
        }
        // Latency is left out: on a loaded test machine a local call's p99 is noise, and the bad version's bug is its errors.
        const features = { request_rate: n / (windowMs / 1000), error_ratio: errors / n };
        await store.db.insert(rollups).values({ service, windowEnd: new Date(), features, score: 0 }).onConflictDoNothing();
        windows++;
      };
      const loop = () => {
        sampler = setTimeout(() => void tick().finally(() => sampler !== undefined && loop()), windowMs);
      };
      loop();
    },
    close: async () => {
      clearTimeout(sampler);
      sampler = undefined;
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  return s;
}
