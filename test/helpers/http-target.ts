import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request received by a {@link HttpTarget}. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

/** A real HTTP server that records every request and answers as told. */
export interface HttpTarget {
  url: string;
  requests: RecordedRequest[];
  /** Status to answer with (default 200). */
  status: number;
  /** Delay before answering, in ms (default 0): to make steps stall. */
  delayMs: number;
  /** Resolves once `n` requests matching `pred` arrived, or rejects after `timeoutMs`. */
  waitFor(pred: (r: RecordedRequest) => boolean, n: number, timeoutMs: number): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}

/** Starts a {@link HttpTarget} on 127.0.0.1 (ephemeral port). */
export async function startHttpTarget(): Promise<HttpTarget> {
  const requests: RecordedRequest[] = [];
  const target: HttpTarget = {
    url: '',
    requests,
    status: 200,
    delayMs: 0,
    async waitFor(pred, n, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hits = requests.filter(pred);
        if (hits.length >= n) return hits;
        if (Date.now() > deadline)
          throw new Error(
            `expected ${n} matching request(s) within ${timeoutMs} ms, got ${hits.length}: ${JSON.stringify(requests.map((r) => `${r.method} ${r.url}`))}`,
          );
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      setTimeout(() => {
        res.writeHead(target.status, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      }, target.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  target.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return target;
}

/** Polls `fn` until it returns a truthy value, or throws after `timeoutMs` with `what` and the last value. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const v = await fn();
    if (v) return v;
    last = v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
