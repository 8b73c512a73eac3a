import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, LogController, type FastifyInstance, type RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiDeps, RouteModule } from './deps.ts';
import { installErrorHandler } from './errors.ts';
import { routeModules } from './routes/index.ts';

/** The fastify instance of the API, with the TypeBox type provider. */
export type ApiApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

/**
 * Builds the API application (REST /api/v1/*, OpenAPI at /api/v1/openapi.json,
 * /healthz, /readyz). Does not listen: `services/api/index.ts` does.
 */
export async function buildApiApp(deps: ApiDeps, extra: RouteModule[] = []): Promise<ApiApp> {
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'api' }) as FastifyBaseLogger,
    bodyLimit: deps.config.apiMaxBodyBytes,
    // Per-request logs would flood the hot path; requests are counted instead.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: 'array' } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  installErrorHandler(app, (code, status) => deps.telemetry.count('zeroops.api.errors', { code, status }));
  await app.register(swagger, {
    openapi: {
      info: { title: 'zeroops API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  for (const mod of [...routeModules, ...extra]) await mod(app, deps);
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.ready();
  return app;
}
