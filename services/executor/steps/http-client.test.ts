import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetryableError } from '../../core/errors.ts';
import { AddressGuard } from '../../playbooks/index.ts';
import { sendRequest } from './http-client.ts';

describe('http client: deadline and read cap (real slow and endless servers)', () => {
  const open = new Set<ServerResponse>();
  let bytesSent = 0;
  let port = 0;
  const server = createServer((req, res) => {
    open.add(res);
    res.on('close', () => open.delete(res));
    res.writeHead(200, { 'content-type': 'text/plain' });
    if (req.url === '/drip') {
      // One byte every 100 ms, forever: never idle long enough for a socket idle timeout.
      const t = setInterval(() => res.write('.'), 100);
      res.on('close', () => clearInterval(t));
    } else if (req.url === '/endless') {
      // As much as the client reads, forever (a "1 GB" answer that never ends).
      const chunk = Buffer.alloc(16 * 1024, 'a');
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) bytesSent += chunk.length;
      };
      res.on('drain', pump);
      pump();
    }
  });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    for (const r of open) r.destroy();
    server.close();
  });
  const guard = new AddressGuard(['127.0.0.1']);

  it('a target that keeps a response trickling is cut off at the deadline with a retryable timeout', async () => {
    const err = await sendRequest({ method: 'GET', url: `http://127.0.0.1:${port}/drip`, headers: {}, timeoutMs: 1_000, guard }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).code).toBe('ZEROOPS_STEP_TIMEOUT');
    // The connection is closed, not left dripping.
    await expect.poll(() => open.size, { timeout: 10_000 }).toBe(0);
  });

  it('reads 64 KiB of an endless answer and stops reading', async () => {
    const res = await sendRequest({ method: 'GET', url: `http://127.0.0.1:${port}/endless`, headers: {}, timeoutMs: 60_000, guard });
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(64 * 1024);
    expect(res.truncated).toBe(true);
    await expect.poll(() => open.size, { timeout: 10_000 }).toBe(0);
    // Socket buffers let the server get somewhat ahead, but nowhere near "everything".
    expect(bytesSent).toBeLessThan(64 * 1024 * 1024);
  });

  it('a cancelled request rejects with the cancellation reason', async () => {
    const ac = new AbortController();
    const p = sendRequest({ method: 'GET', url: `http://127.0.0.1:${port}/drip`, headers: {}, timeoutMs: 60_000, signal: ac.signal, guard });
    const reason = new Error('lease lost');
    setTimeout(() => ac.abort(reason), 200);
    await expect(p).rejects.toBe(reason);
  });
});
