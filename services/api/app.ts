import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyHttpOptions,
  type FastifyInstance,
  type FastifyReply,
  LogController,
  type RawServerDefault,
} from 'fastify';
import type { TlsMaterial } from '../core/index.ts';
import { apiPlugin } from './api-plugin.ts';
import type { ApiDeps, RouteModule } from './deps.ts';
import { installFormats } from './schemas.ts';

/** The fastify instance of the API, with the TypeBox type provider. */
export type ApiApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

/** The fastify server options of the API: logger, body limit, Ajv, and the answer to an unroutable path. */
function serverOptions(deps: ApiDeps, tls: TlsMaterial | undefined) {
  return {
    // node:https's server handles requests as node:http's does; fastify's types only know the latter here.
    ...(tls ? { serverFactory: (handler: RequestListener) => createTlsServer({ cert: tls.cert, key: tls.key }, handler) as unknown as Server } : {}),
    loggerInstance: deps.logger.child({ component: 'api' }) as FastifyBaseLogger,
    bodyLimit: deps.config.apiMaxBodyBytes,
    // Per-request logs would flood the hot path; requests are counted instead.
    logController: new LogController({ disableRequestLogging: true }),
    // Ids are limited by their schemas (200 characters), which answer in the API's error shape.
    routerOptions: { maxParamLength: 1_000 },
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: 'array' as const }, onCreate: installFormats },
    // A path that is not valid percent-encoding matches no route: one fixed answer, before authorization,
    // that echoes nothing of the request (fastify's default repeats the URL).
    frameworkErrors: (err: { code: string }, _req: unknown, reply: FastifyReply) => {
      deps.telemetry.count('zeroops.api.errors', { code: 'ZEROOPS_BAD_URL', status: 400 });
      void reply.status(400).send({ error: { code: 'ZEROOPS_BAD_URL', message: `the request path is not valid percent-encoding (${err.code})` } });
    },
  };
}

/**
 * Builds the API application (REST /api/v1/*, OpenAPI at /api/v1/openapi.json,
 * /healthz, /readyz): a fastify server with {@link apiPlugin} registered.
 * Does not listen: `services/api/index.ts` does. With `options.tls` its server is HTTPS.
 */
export async function buildApiApp(deps: ApiDeps, extra: RouteModule[] = [], options: { tls?: TlsMaterial } = {}): Promise<ApiApp> {
  const app = Fastify(serverOptions(deps, options.tls) as FastifyHttpOptions<Server, FastifyBaseLogger>).withTypeProvider<TypeBoxTypeProvider>();
  await app.register(apiPlugin, { deps, extra });
  await app.ready();
  return app;
}
