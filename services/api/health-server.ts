import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../core/logger.ts';
import { type ReadinessDeps, readinessAnswer } from './readiness-answer.ts';

/** A started health server: its base URL and how to stop it. */
export interface HealthServer {
  address(): string;
  stop(): Promise<void>;
}

/**
 * Serves `/healthz` (alive) and `/readyz` (the same answer as the API's) on
 * `host:port` for a process that runs no API, so that orchestrators can
 * probe every zeroops process alike. Nothing else: every other path is 404.
 * Started before the components (liveness answers during start-up; readiness
 * says `starting`) and stopped after them.
 */
export async function startHealthServer(deps: ReadinessDeps & { logger: Logger }, host: string, port: number): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { error: { code: 'ZEROOPS_METHOD_NOT_ALLOWED', message: 'use GET' } });
    if (path === '/healthz') return send(200, { status: 'ok' });
    if (path !== '/readyz') return send(404, { error: { code: 'ZEROOPS_NOT_FOUND', message: 'this process serves only /healthz and /readyz' } });
    readinessAnswer(deps).then(
      (a) => send(a.status, a.body),
      (err: unknown) => {
        deps.logger.warn({ err }, 'readiness check failed');
        send(503, { status: 'not_ready' });
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  const url = `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  return {
    address: () => url,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
