/**
 * The demo control plane: real operations on the supervised processes and
 * fault injection over HTTP, so that playbooks act on the demo with ordinary
 * http steps, plus a webhook receiver for their notify steps.
 */
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { type FaultBook, FaultConflict } from './fault-book.ts';
import { FAULT_INFO, FAULT_KINDS, isFaultKind } from './fault-kinds.ts';
import type { LoadGenerator } from './load-generator.ts';
import { recordOperationRequests } from './operation-requests.ts';
import type { Supervisor } from './supervisor.ts';
import { VERSION_BUG_RATES } from './topology.ts';

/** What the control plane works on. */
export interface ControlPlaneDeps {
  supervisor: Supervisor;
  book: FaultBook;
  /** Appends to the ground-truth log. */
  log: (event: Record<string, unknown>) => void;
  load?: LoadGenerator;
}

const MAX_REPLICAS = 10;
const DEFAULT_FAULT_SECONDS = 300;

function fail(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).send({ error: { code, message } });
}

type Named = { Params: { name: string }; Querystring: { wait?: string } };
type Notification = { receivedAt: string; body: unknown };

/** What the route groups share. */
interface RouteContext {
  app: FastifyInstance;
  sup: Supervisor;
  book: FaultBook;
  log: ControlPlaneDeps['log'];
  /** Runs `fn` after the service's earlier operations. */
  serial: <T>(service: string, fn: () => Promise<T>) => Promise<T>;
  /** Runs an operation: answers 202 at once, or its result with `wait`. */
  perform: (name: string, wait: boolean, reply: FastifyReply, op: string, fn: () => Promise<unknown>) => Promise<unknown>;
  /** True when the service exists; else answers 404. */
  known: (name: string, reply: FastifyReply) => boolean;
}

/** Builds the control plane's HTTP app (not yet listening). */
export function createControlPlane(deps: ControlPlaneDeps): FastifyInstance {
  const app = Fastify({ logger: false });
  const { supervisor: sup, book, log } = deps;
  const notifications: Notification[] = [];
  // One operation per service at a time, in arrival order.
  const queues = new Map<string, Promise<unknown>>();
  const serial = <T>(service: string, fn: () => Promise<T>): Promise<T> => {
    const run = (queues.get(service) ?? Promise.resolve()).then(fn, fn);
    queues.set(
      service,
      run.catch((err: Error) => log({ event: 'operation.failed', service, error: err.message })),
    );
    return run;
  };
  // Operations take seconds (new processes start); like a deployment API they are
  // accepted at once (202) and carried out in order, unless the caller asks ?wait=true.
  const perform = async (name: string, wait: boolean, reply: FastifyReply, op: string, fn: () => Promise<unknown>) => {
    const run = serial(name, fn);
    if (wait) return run;
    // serial() already logs a failure to the ground-truth log; this only keeps it from being unhandled.
    run.catch((err: Error) => err);
    return reply.code(202).send({ accepted: true, service: name, operation: op });
  };
  const known = (name: string, reply: FastifyReply) => {
    if (sup.names().includes(name)) return true;
    void fail(reply, 404, 'ZEROOPS_DEMO_UNKNOWN_SERVICE', `no demo service "${name}"; known: ${sup.names().join(', ')}`);
    return false;
  };
  const ctx: RouteContext = { app, sup, book, log, serial, perform, known };
  const operations = recordOperationRequests(app);
  app.get('/operations', async () => ({ operations }));
  serviceInfoRoutes(ctx, notifications, deps.load);
  operationRoutes(ctx);
  flagAndFaultRoutes(ctx);
  return app;
}

/** Health, service status, the webhook receiver and load statistics. */
function serviceInfoRoutes(ctx: RouteContext, notifications: Notification[], load: LoadGenerator | undefined): void {
  const { app, sup, book, log, known } = ctx;
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/services', async () => ({ services: sup.status(), flags: sup.getFlags() }));
  app.get<Named>('/services/:name', async (req, reply) => {
    if (known(req.params.name, reply)) return { ...sup.status(req.params.name)[0], faults: book.active(req.params.name) };
  });

  app.post('/notifications', async (req) => {
    notifications.push({ receivedAt: new Date().toISOString(), body: req.body });
    log({ event: 'notification', body: req.body });
    return { ok: true };
  });
  app.get('/notifications', async () => ({ notifications }));
  app.get('/load', async () => ({ load: load?.stats() ?? null }));
}

/** restart, scale, rollback, deploy, cache clear. */
function operationRoutes(ctx: RouteContext): void {
  const { app, sup, book, log, perform, known } = ctx;
  app.post<Named>('/services/:name/restart', async (req, reply) => {
    const name = req.params.name;
    if (!known(name, reply)) return;
    return perform(name, req.query.wait === 'true', reply, 'restart', async () => {
      const fixed = book.fixedBy(name, 'restart');
      await sup.restart(name);
      log({ event: 'operation', op: 'restart', service: name, fixed: fixed.map((f) => f.id) });
      return { ...sup.status(name)[0], fixed: fixed.map((f) => f.id) };
    });
  });

  app.post<Named & { Body: { replicas?: unknown } }>('/services/:name/scale', async (req, reply) => {
    const name = req.params.name;
    if (!known(name, reply)) return;
    const n = req.body?.replicas;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_REPLICAS) {
      return fail(reply, 400, 'ZEROOPS_DEMO_BAD_REQUEST', `body.replicas must be an integer from 1 to ${MAX_REPLICAS}`);
    }
    return perform(name, req.query.wait === 'true', reply, 'scale', async () => {
      await sup.scale(name, n);
      const fixed = book.fixedBy(name, 'scale', n);
      log({ event: 'operation', op: 'scale', service: name, replicas: n, fixed: fixed.map((f) => f.id) });
      return { ...sup.status(name)[0], fixed: fixed.map((f) => f.id) };
    });
  });

  app.post<Named>('/services/:name/rollback', async (req, reply) => {
    const name = req.params.name;
    if (!known(name, reply)) return;
    if (sup.status(name)[0]?.previousVersions.length === 0) {
      log({ event: 'operation', op: 'rollback', service: name, result: 'nothing to roll back' });
      return fail(reply, 409, 'ZEROOPS_DEMO_NO_PREVIOUS_VERSION', `${name} runs its first version; there is nothing to roll back to`);
    }
    return perform(name, req.query.wait === 'true', reply, 'rollback', async () => {
      if (!(await sup.rollback(name))) {
        log({ event: 'operation', op: 'rollback', service: name, result: 'nothing to roll back' });
        // An accepted (202) rollback has answered already; the log says what happened.
        if (reply.sent) return;
        return fail(reply, 409, 'ZEROOPS_DEMO_NO_PREVIOUS_VERSION', `${name} runs its first version; there is nothing to roll back to`);
      }
      const fixed = book.fixedBy(name, 'rollback');
      log({ event: 'operation', op: 'rollback', service: name, version: sup.status(name)[0]?.version, fixed: fixed.map((f) => f.id) });
      return { ...sup.status(name)[0], fixed: fixed.map((f) => f.id) };
    });
  });

  app.post<Named & { Body: { version?: unknown } }>('/services/:name/deploy', async (req, reply) => {
    const name = req.params.name;
    if (!known(name, reply)) return;
    const version = req.body?.version;
    if (typeof version !== 'string' || !/^[0-9A-Za-z.+-]{1,40}$/.test(version)) {
      return fail(reply, 400, 'ZEROOPS_DEMO_BAD_REQUEST', 'body.version must be a version string like 1.4.3');
    }
    return perform(name, req.query.wait === 'true', reply, 'deploy', async () => {
      // A managed rollout can be good (1.6.0, any version) or bad: the bad version (1.5.0) carries its bug.
      const bugRate = VERSION_BUG_RATES[version] ?? 0;
      await sup.deploy(name, version, bugRate);
      log({ event: 'operation', op: 'deploy', service: name, version, bugRate });
      return sup.status(name)[0];
    });
  });

  app.post<Named>('/services/:name/cache/clear', async (req, reply) => {
    const name = req.params.name;
    if (!known(name, reply)) return;
    const replicas = sup.clearCache(name);
    log({ event: 'operation', op: 'cache-clear', service: name });
    return { service: name, replicasCleared: replicas };
  });
}

/** Feature flags and fault injection. */
function flagAndFaultRoutes(ctx: RouteContext): void {
  const { app, sup, book, log, serial } = ctx;
  app.get('/flags', async () => ({ flags: sup.getFlags() }));
  app.post<{ Params: { flag: string }; Body: { enabled?: unknown } }>('/flags/:flag', async (req, reply) => {
    const flags = sup.getFlags();
    if (!(req.params.flag in flags))
      return fail(reply, 404, 'ZEROOPS_DEMO_UNKNOWN_FLAG', `no flag "${req.params.flag}"; known: ${Object.keys(flags).join(', ')}`);
    const enabled = req.body?.enabled === undefined ? !flags[req.params.flag] : req.body.enabled;
    if (typeof enabled !== 'boolean') return fail(reply, 400, 'ZEROOPS_DEMO_BAD_REQUEST', 'body.enabled must be true or false (or absent to toggle)');
    sup.setFlag(req.params.flag, enabled);
    log({ event: 'operation', op: 'flag', flag: req.params.flag, enabled });
    return { flags: sup.getFlags() };
  });

  app.get('/faults', async () => ({ faults: book.list(), kinds: FAULT_INFO }));
  app.post<{ Body: { service?: unknown; kind?: unknown; magnitude?: unknown; durationSeconds?: unknown } }>('/faults', async (req, reply) => {
    const { service, kind, magnitude, durationSeconds } = req.body ?? {};
    if (typeof service !== 'string') return fail(reply, 400, 'ZEROOPS_DEMO_BAD_REQUEST', 'body.service must name a demo service');
    if (typeof kind !== 'string' || !isFaultKind(kind))
      return fail(reply, 400, 'ZEROOPS_DEMO_BAD_REQUEST', `body.kind must be one of ${FAULT_KINDS.join(', ')}`);
    if (magnitude !== undefined && typeof magnitude !== 'number') return fail(reply, 400, 'ZEROOPS_DEMO_BAD_REQUEST', 'body.magnitude must be a number');
    const seconds = durationSeconds ?? DEFAULT_FAULT_SECONDS;
    if (typeof seconds !== 'number' || !(seconds > 0 && seconds <= 86_400)) {
      return fail(reply, 400, 'ZEROOPS_DEMO_BAD_REQUEST', 'body.durationSeconds must be a number of seconds from 1 to 86400');
    }
    try {
      return await serial(service, () => book.inject(service, kind, magnitude, seconds));
    } catch (err) {
      if (err instanceof FaultConflict) return fail(reply, 409, 'ZEROOPS_DEMO_FAULT_REFUSED', err.message);
      throw err;
    }
  });
  app.delete<{ Querystring: { service?: string } }>('/faults', async (req) => {
    const ended = await book.clear(req.query.service || undefined);
    return { cleared: ended.map((f) => f.id) };
  });
}
