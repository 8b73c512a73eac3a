import swagger from '@fastify/swagger';
import { type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { createDenialRecorder, createTokenRegistry, type TokenRegistry } from '../auth/index.ts';
import { assertFiniteQuery, assertPlainData } from '../core/plain-data.ts';
import { NAMED_SCHEMAS } from './api-schemas.ts';
import type { ApiApp } from './app.ts';
import { installAuth } from './auth.ts';
import type { ApiDeps, RouteModule } from './deps.ts';
import { installErrorHandler } from './errors.ts';
import { routeModules } from './routes/index.ts';

/** Options of {@link apiPlugin}: what the routes use, and route modules beyond the API's own. */
export interface ApiPluginOptions {
  deps: ApiDeps;
  extra?: RouteModule[];
}

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

/** Checks every parsed request before its schema runs: bounded, NUL-free bodies and finite query numbers. */
function guardRequests(app: ApiApp): void {
  // Before any schema or handler walks a body: bounded nesting and arrays, no NUL (Postgres cannot store it).
  app.addHook('preValidation', async (req) => {
    if (typeof req.body === 'object' && req.body !== null && !Buffer.isBuffer(req.body)) assertPlainData(req.body);
  });
  // Ajv coerces "1e400" to Infinity and lets it pass minimum/maximum: refuse what the schema could not.
  app.addHook('preHandler', async (req) => assertFiniteQuery(req.query));
}

async function registerApi(app: ApiApp, { deps, extra = [] }: ApiPluginOptions): Promise<void> {
  const tokens = deps.tokens ?? ownRegistry(app, deps);
  await tokens.start();
  // Before anything registers a route: from here on every route must declare its access.
  installAuth(app, tokens, createDenialRecorder({ db: deps.store.db, telemetry: deps.telemetry, logger: deps.logger }));
  installErrorHandler(app, (code, status) => deps.telemetry.count('zeroops.api.errors', { code, status }));
  for (const s of NAMED_SCHEMAS) app.addSchema(s);
  await app.register(swagger, {
    openapi: {
      info: { title: 'zeroops API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    // Components are named by their $id (Anomaly, IncidentPage, ...), not def-0, def-1, ...
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  traceRequests(app, deps);
  guardRequests(app);
  const withTokens = { ...deps, tokens };
  // Each route module is its own plugin: what it adds (a content-type parser, a decorator) stays in it.
  for (const mod of [...routeModules, ...extra]) await app.register(async (scope) => mod(scope as ApiApp, withTokens));
  app.get(
    '/api/v1/openapi.json',
    {
      schema: { hide: true, response: { 200: Type.Object({}, { additionalProperties: true, description: 'The OpenAPI 3 document.' }) } },
      config: { access: 'viewer' },
    },
    async () => app.swagger(),
  );
}

/**
 * The whole API as one fastify plugin: authorization, the error handler,
 * the named schemas, OpenAPI, tracing and every route module. Registered
 * without encapsulation (its hooks and error handler apply to the app it is
 * registered on), as fastify-plugin would mark it.
 */
export const apiPlugin: FastifyPluginAsync<ApiPluginOptions> = Object.assign(
  async (app: Parameters<FastifyPluginAsync<ApiPluginOptions>>[0], opts: ApiPluginOptions) => registerApi(app as unknown as ApiApp, opts),
  { [Symbol.for('skip-override')]: true },
);
