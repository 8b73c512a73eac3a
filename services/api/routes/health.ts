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

/** `/healthz` (the process is alive) and `/readyz` (bus and store reachable). */
export const healthRoutes: RouteModule = (app, deps) => {
  app.get('/healthz', { schema: { hide: true }, config: { access: 'public' } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true }, config: { access: 'public' } }, async (_req, reply) => {
    const [bus, store] = await Promise.all([check(() => deps.bus.ping(), 3000), check(() => deps.store.ping(), 3000)]);
    const ok = bus === 'ok' && store === 'ok';
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not_ready', checks: { bus, store }, bus: deps.bus.kind, store: deps.store.kind });
  });
  app.get(
    '/api/v1/stats',
    { schema: { description: 'Counters of this process (items received, refused, errors by code, ...).' }, config: { access: 'viewer' } },
    async () => ({
      counters: deps.telemetry.snapshot(),
    }),
  );
};
