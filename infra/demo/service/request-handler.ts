/**
 * The request handler of a demo service: admission through the pool, the
 * route's work and downstream calls, and the request-level faults (latency,
 * errors, a buggy version, a refused datastore).
 */
import type * as Http from 'node:http';
import type { DownstreamCall, RouteSpec } from '../topology.ts';
import { cpuShareLeft, type EffectState } from './process-effects.ts';
import type { ServiceProcessConfig } from './protocol.ts';
import type { SlotPool, WorkQueue } from './slot-pool.ts';
import type { ServiceTelemetry } from './telemetry.ts';

/** An address that refuses connections: what a datastore that is down looks like to its clients. */
const REFUSED = 'http://127.0.0.1:1';
const CALL_TIMEOUT_MS = 5_000;

/** Everything the handler reads. */
export interface HandlerDeps {
  http: typeof Http;
  cfg: ServiceProcessConfig;
  effects: EffectState;
  pool: SlotPool;
  work: WorkQueue;
  telemetry: ServiceTelemetry;
  flags: () => Record<string, boolean>;
  cache: Map<string, number>;
  /** Median event-loop delay over the last few seconds, in milliseconds. */
  loopDelayP50Ms: () => number;
}

class Failure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls one downstream service through its load balancer; rejects with a {@link Failure} on a refused call or a 5xx. */
function call(deps: HandlerDeps, c: DownstreamCall, refused: boolean): Promise<void> {
  const base = refused ? REFUSED : deps.cfg.peers[c.service];
  if (!base) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const req = deps.http.request(
      `${base}${c.path}`,
      { method: c.method ?? 'GET', timeout: CALL_TIMEOUT_MS, headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => {
          if ((res.statusCode ?? 500) >= 500) reject(new Failure(502, `${c.service} answered ${res.statusCode}`));
          else resolve();
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${c.service} did not answer within ${CALL_TIMEOUT_MS} ms`)));
    req.on('error', (err) => reject(new Failure(503, `cannot reach ${refused ? `datastore ${c.service}` : c.service}: ${err.message}`)));
    req.end(c.method === 'POST' ? '{}' : undefined);
  });
}

/** The calls a request makes, with the refused ones marked (dependency-down). */
function plannedCalls(deps: HandlerDeps, route: RouteSpec): Array<{ c: DownstreamCall; refused: boolean }> {
  const calls = [...route.calls];
  if (route.flagged && deps.flags()[route.flagged.flag]) calls.push(...route.flagged.calls);
  const down = deps.effects.magnitude('dependency-down');
  const cut = (c: DownstreamCall) => down !== undefined && Math.random() < down && (!deps.cfg.spec.datastore || c.service === deps.cfg.spec.datastore);
  const out = calls.map((c) => ({ c, refused: cut(c) }));
  // A leaf has no downstream services: its dependency is an external provider.
  if (calls.length === 0 && down !== undefined && Math.random() < down) out.push({ c: { service: 'provider', path: '/' }, refused: true });
  return out;
}

async function serve(deps: HandlerDeps, route: RouteSpec, key: string): Promise<void> {
  const { spec } = deps.cfg;
  // A runaway loop (cpu-hog) leaves the handlers a share of the thread: their work takes that much longer.
  const cpu = cpuShareLeft(deps.effects);
  const workMs = deps.work.admit(Date.now(), cpu);
  if (workMs === undefined) throw new Failure(503, `${spec.name} overloaded: request queue full`);
  await sleep(workMs + (spec.workMs * (0.5 + Math.random())) / cpu + (deps.effects.magnitude('latency') ?? 0));
  const errors = deps.effects.magnitude('errors');
  if (errors !== undefined && Math.random() < errors) throw new Failure(500, 'internal error while handling the request');
  if (deps.cfg.bugRate > 0 && Math.random() < deps.cfg.bugRate) {
    throw new Failure(500, `TypeError: Cannot read properties of undefined (reading 'price') in ${spec.name}@${deps.cfg.version}`);
  }
  if (route.cacheKeys && deps.cache.has(key)) return;
  for (const { c, refused } of plannedCalls(deps, route)) await call(deps, c, refused);
  if (route.cacheKeys) {
    if (deps.cache.size >= route.cacheKeys) deps.cache.delete(deps.cache.keys().next().value as string);
    deps.cache.set(key, Date.now());
  }
}

function answer(res: Http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Handles one request (never throws: every failure is answered). */
export async function handleRequest(deps: HandlerDeps, req: Http.IncomingMessage, res: Http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://demo');
  if (url.pathname === '/healthz') {
    return answer(res, 200, { ok: true, version: deps.cfg.version, pid: process.pid, eventLoopDelayP50Ms: deps.loopDelayP50Ms() });
  }
  const route = deps.cfg.spec.routes.find((r) => r.method === req.method && r.path === url.pathname);
  req.resume();
  if (!route) return answer(res, 404, { error: `no route ${req.method} ${url.pathname} on ${deps.cfg.spec.name}` });
  const slot = await deps.pool.acquire();
  if (typeof slot === 'string') {
    deps.telemetry.log('warn', `request refused: ${slot === 'timeout' ? 'timed out waiting for a connection' : 'too many queued requests'}`, {
      'http.route': route.path,
    });
    return answer(res, 503, { error: slot });
  }
  try {
    await serve(deps, route, url.searchParams.get('id') ?? String(Math.floor(Math.random() * 200)));
    if (Math.random() < 0.05) deps.telemetry.log('info', `${route.method} ${route.path} served`, { 'http.route': route.path });
    answer(res, 200, { service: deps.cfg.spec.name, version: deps.cfg.version, pid: process.pid });
  } catch (err) {
    const status = err instanceof Failure ? err.status : 500;
    deps.telemetry.log('error', (err as Error).message, { 'http.route': route.path, 'http.response.status_code': status });
    answer(res, status, { error: (err as Error).message });
  } finally {
    slot();
  }
}
