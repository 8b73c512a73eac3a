/**
 * A small real HTTP server standing in for the demo control plane
 * (infra/demo/control-plane.ts): answers GET /services, GET /faults,
 * POST /faults and DELETE /faults the way it does, and records every request,
 * so `zeroops demo ...` can be run and timed without starting the demo shop.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** One request the stub received; `body` is the parsed JSON body, if any. */
export interface StubRequest {
  method: string;
  url: string;
  contentType: string | undefined;
  body: unknown;
}

/** A running stub; `close()` stops it. */
export interface StubControlPlane {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  requests: StubRequest[];
  close(): Promise<void>;
}

const SERVICES = {
  services: [{ name: 'checkout', url: 'http://127.0.0.1:7103', version: '2.3.0', replicas: [{ pid: 1 }, { pid: 2 }], restarts: 0, crashes: 0 }],
  flags: { 'new-checkout': false },
};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.on('data', (d: Buffer) => {
      s += d.toString();
    });
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function route(r: StubRequest, res: ServerResponse): void {
  if (r.method === 'GET' && r.url === '/services') answer(res, 200, SERVICES);
  else if (r.method === 'GET' && r.url === '/faults') answer(res, 200, { faults: [] });
  else if (r.method === 'DELETE' && r.url.startsWith('/faults')) answer(res, 200, { cleared: [] });
  else if (r.method === 'POST' && r.url === '/faults') answer(res, 200, faultFor(r.body));
  else answer(res, 404, { error: { code: 'ZEROOPS_DEMO_NOT_FOUND', message: `no route ${r.method} ${r.url}` } });
}

/** The fault row the control plane answers a POST /faults with (its fix: rollback for bad-deploy, else none). */
function faultFor(body: unknown): Record<string, unknown> {
  const b = body as { service: string; kind: string; magnitude?: number; durationSeconds?: number };
  const fix = b.kind === 'bad-deploy' ? 'rollback' : 'none';
  const end = new Date(Date.UTC(2026, 0, 1, 0, 0, b.durationSeconds ?? 600)).toISOString();
  return {
    id: `f1-${b.service}-${b.kind}`,
    service: b.service,
    kind: b.kind,
    magnitude: b.magnitude ?? 1,
    fix,
    state: 'active',
    plannedEndAt: end,
  };
}

/** Starts the stub on a free loopback port. */
export async function startStubControlPlane(): Promise<StubControlPlane> {
  const requests: StubRequest[] = [];
  const server = createServer((req, res) => {
    readBody(req).then(
      (text) => {
        const r = { method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'], body: text ? JSON.parse(text) : undefined };
        requests.push(r);
        route(r, res);
      },
      (err: unknown) => answer(res, 500, { error: { code: 'STUB', message: String(err) } }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
