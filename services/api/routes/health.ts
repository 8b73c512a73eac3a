import { Type } from '@sinclair/typebox';
import { responses } from '../api-schemas.ts';
import type { RouteModule } from '../deps.ts';
import { readinessAnswer } from '../readiness-answer.ts';

const Readiness = Type.Object(
  {
    status: Type.String({ description: 'ready, not_ready, starting or draining.' }),
    checks: Type.Record(Type.String(), Type.String(), { description: "Each dependency: 'ok' or what went wrong." }),
    components: Type.Optional(Type.Unknown({ description: "The process's components and their states." })),
    bus: Type.Optional(Type.String()),
    store: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

/**
 * `/healthz` (the process is alive) and `/readyz` (the process serves: every
 * component started and serving, not draining, bus and store reachable).
 */
export const healthRoutes: RouteModule = (app, deps) => {
  app.get('/healthz', { schema: { hide: true, response: { 200: Type.Object({ status: Type.Literal('ok') }) } }, config: { access: 'public' } }, async () => ({
    status: 'ok' as const,
  }));
  app.get('/readyz', { schema: { hide: true, response: { 200: Readiness, 503: Readiness } }, config: { access: 'public' } }, async (_req, reply) => {
    const answer = await readinessAnswer(deps);
    return reply.status(answer.status).send(answer.body as never);
  });
  app.get(
    '/api/v1/stats',
    {
      schema: {
        description: 'Counters of this process (items received, refused, errors by code, ...).',
        tags: ['stats'],
        response: responses({ 200: Type.Object({ counters: Type.Record(Type.String(), Type.Number()) }) }),
      },
      config: { access: 'viewer' },
    },
    async () => ({ counters: deps.telemetry.snapshot() }),
  );
};
