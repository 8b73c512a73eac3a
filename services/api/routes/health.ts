import type { RouteModule } from '../deps.ts';
import { readinessAnswer } from '../readiness-answer.ts';

/**
 * `/healthz` (the process is alive) and `/readyz` (the process serves: every
 * component started and serving, not draining, bus and store reachable).
 */
export const healthRoutes: RouteModule = (app, deps) => {
  app.get('/healthz', { schema: { hide: true }, config: { access: 'public' } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true }, config: { access: 'public' } }, async (_req, reply) => {
    const answer = await readinessAnswer(deps);
    return reply.status(answer.status).send(answer.body);
  });
  app.get(
    '/api/v1/stats',
    { schema: { description: 'Counters of this process (items received, refused, errors by code, ...).' }, config: { access: 'viewer' } },
    async () => ({
      counters: deps.telemetry.snapshot(),
    }),
  );
};
