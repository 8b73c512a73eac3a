/**
 * A small round-robin HTTP load balancer in front of a demo service's
 * replicas. It forwards requests byte for byte (trace context headers
 * included), so callers' client spans pair with the replicas' server spans.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A load balancer: one listening port, a changing set of backend ports. */
export interface LoadBalancer {
  /** Base URL callers use, e.g. http://127.0.0.1:7101. */
  readonly url: string;
  /** Replaces the backends (replica ports). */
  setBackends(ports: number[]): void;
  /** Requests forwarded to each backend port so far. */
  forwarded(): Record<number, number>;
  /** Requests forwarded to `port` whose response has not ended yet. */
  inFlight(port: number): number;
  close(): Promise<void>;
}

/** Starts a load balancer on `port` (0 picks a free one). */
export async function startLoadBalancer(name: string, port: number): Promise<LoadBalancer> {
  let backends: number[] = [];
  let next = 0;
  const counts: Record<number, number> = {};
  const open = new Map<number, number>();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const server = http.createServer((req, res) => {
    if (backends.length === 0) {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `${name}: no replica is running` }));
      req.resume();
      return;
    }
    const target = backends[next++ % backends.length] as number;
    counts[target] = (counts[target] ?? 0) + 1;
    open.set(target, (open.get(target) ?? 0) + 1);
    let done = false;
    const settle = () => {
      if (done) return;
      done = true;
      open.set(target, (open.get(target) ?? 1) - 1);
    };
    res.once('close', settle);
    const up = http.request({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers, agent }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', (err) => {
      if (res.headersSent) return res.destroy(err);
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `${name}: replica on port ${target} failed: ${err.message}` }));
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    setBackends(ports) {
      backends = [...ports];
    },
    forwarded: () => ({ ...counts }),
    inFlight: (p) => open.get(p) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
