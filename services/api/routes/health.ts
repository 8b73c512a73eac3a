import { describeError } from '../../core/errors.ts';
import type { RouteModule } from '../deps.ts';

async function check(fn: () => Promise<void>, timeoutMs: number): Promise<'ok' | string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return 'ok';
  } catch (err) {
    return describeError(err);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `/healthz` (the process is alive) and `/readyz` (the process serves: every
 * component started and serving, not draining, bus and store reachable).
 */
export const healthRoutes: RouteModule = (app, deps) => {
  app.get('/healthz', { schema: { hide: true }, config: { access: 'public' } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true }, config: { access: 'public' } }, async (_req, reply) => {
    const before = deps.readiness?.report();
    // A process that is starting or draining answers at once, without waiting on pings.
    if (before && before.state !== 'serving') {
      return reply.status(503).send({ status: before.state, checks: { process: before.state }, components: before.components });
    }
    const [bus, store] = await Promise.all([check(() => deps.bus.ping(), 3000), check(() => deps.store.ping(), 3000)]);
    // Read again after the pings: a drain that began meanwhile answers 503.
    const proc = deps.readiness?.report();
    const ok = bus === 'ok' && store === 'ok' && (proc?.ready ?? true);
    const status = proc && proc.state !== 'serving' ? proc.state : ok ? 'ready' : 'not_ready';
    return reply.status(ok ? 200 : 503).send({
      status,
      checks: { bus, store },
      ...(proc ? { components: proc.components } : {}),
      bus: deps.bus.kind,
      store: deps.store.kind,
    });
  });
  app.get(
    '/api/v1/stats',
    { schema: { description: 'Counters of this process (items received, refused, errors by code, ...).' }, config: { access: 'viewer' } },
    async () => ({
      counters: deps.telemetry.snapshot(),
    }),
  );
};
