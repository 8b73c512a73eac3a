import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, LogController, type RawServerDefault } from 'fastify';
import { createDenialRecorder, createTokenRegistry, type TokenRegistry } from '../auth/index.ts';
import { installAuth } from './auth.ts';
import type { TlsMaterial } from '../core/index.ts';
import type { ApiDeps, RouteModule } from './deps.ts';
import { installErrorHandler } from './errors.ts';
import { assertFiniteQuery, assertPlainData } from './plain-data.ts';
import { routeModules } from './routes/index.ts';
import { installFormats } from './schemas.ts';

/** The fastify instance of the API, with the TypeBox type provider. */
export type ApiApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

const spans = new WeakMap<object, { span: Span; t0: number }>();

/** A server span and a latency measurement per request (route template, not URL, as the name). */
function traceRequests(app: ApiApp, deps: ApiDeps): void {
  app.addHook('onRequest', async (req) => {
    const route = req.routeOptions.url ?? 'unknown';
    spans.set(req, {
      span: deps.telemetry.tracer.startSpan(`${req.method} ${route}`, {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': req.method, 'http.route': route },
      }),
      t0: performance.now(),
    });
  });
  app.addHook('onResponse', async (req, reply) => {
    const s = spans.get(req);
    if (!s) return;
    const route = req.routeOptions.url ?? 'unknown';
    s.span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) s.span.setStatus({ code: SpanStatusCode.ERROR });
    s.span.end();
    deps.telemetry.record('zeroops.api.request.duration_ms', performance.now() - s.t0, { route, status: reply.statusCode });
  });
}

/**
 * Builds the API application (REST /api/v1/*, OpenAPI at /api/v1/openapi.json,
 * /healthz, /readyz). Does not listen: `services/api/index.ts` does. With
 * `options.tls` its server is HTTPS.
 */
export async function buildApiApp(deps: ApiDeps, extra: RouteModule[] = [], options: { tls?: TlsMaterial } = {}): Promise<ApiApp> {
  const tls = options.tls;
  const app = Fastify({
    // node:https's server handles requests as node:http's does; fastify's types only know the latter here.
    ...(tls ? { serverFactory: (handler: RequestListener) => createTlsServer({ cert: tls.cert, key: tls.key }, handler) as unknown as Server } : {}),
    loggerInstance: deps.logger.child({ component: 'api' }) as FastifyBaseLogger,
    bodyLimit: deps.config.apiMaxBodyBytes,
    // Per-request logs would flood the hot path; requests are counted instead.
    logController: new LogController({ disableRequestLogging: true }),
    // Ids are limited by their schemas (200 characters), which answer in the API's error shape.
    routerOptions: { maxParamLength: 1_000 },
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: 'array' }, onCreate: installFormats },
    // A path that is not valid percent-encoding matches no route: one fixed answer, before authorization,
    // that echoes nothing of the request (fastify's default repeats the URL).
    frameworkErrors: (err, _req, reply) => {
      deps.telemetry.count('zeroops.api.errors', { code: 'ZEROOPS_BAD_URL', status: 400 });
      void (reply as FastifyReply)
        .status(400)
        .send({ error: { code: 'ZEROOPS_BAD_URL', message: `the request path is not valid percent-encoding (${err.code})` } });
    },
  }).withTypeProvider<TypeBoxTypeProvider>();
  const tokens = deps.tokens ?? ownRegistry(app, deps);
  await tokens.start();
  // Before anything registers a route: from here on every route must declare its access.
  installAuth(app, tokens, createDenialRecorder({ db: deps.store.db, telemetry: deps.telemetry, logger: deps.logger }));
  installErrorHandler(app, (code, status) => deps.telemetry.count('zeroops.api.errors', { code, status }));
  await app.register(swagger, {
    openapi: {
      info: { title: 'zeroops API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  traceRequests(app, deps);
  // Before any schema or handler walks a body: bounded nesting and arrays, no NUL (Postgres cannot store it).
  app.addHook('preValidation', async (req) => {
    if (typeof req.body === 'object' && req.body !== null && !Buffer.isBuffer(req.body)) assertPlainData(req.body);
  });
  // Ajv coerces "1e400" to Infinity and lets it pass minimum/maximum: refuse what the schema could not.
  app.addHook('preHandler', async (req) => assertFiniteQuery(req.query));
  const withTokens = { ...deps, tokens };
  for (const mod of [...routeModules, ...extra]) await mod(app, withTokens);
  app.get('/api/v1/openapi.json', { schema: { hide: true }, config: { access: 'viewer' } }, async () => app.swagger());
  await app.ready();
  return app;
}

/** A token registry over the API's own store, stopped with the app. */
function ownRegistry(app: ApiApp, deps: ApiDeps): TokenRegistry {
  const r = createTokenRegistry({
    db: deps.store.db,
    apiTokens: deps.config.apiTokens,
    ingestTokens: deps.config.ingestTokens,
    refreshMs: deps.config.tokenCacheSeconds * 1000,
    logger: deps.logger,
  });
  app.addHook('onClose', async () => r.stop());
  return r;
}
