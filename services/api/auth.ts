import { type DenialRecorder, type Principal, ROLES, type TokenRegistry } from '../auth/index.ts';
import { PermanentError } from '../core/errors.ts';
import type { ApiApp } from './app.ts';

/** What a route needs: no token (`public`) or a token of at least this role. */
export const ACCESS_LEVELS = ['public', ...ROLES] as const;
/** One of {@link ACCESS_LEVELS}. */
export type Access = (typeof ACCESS_LEVELS)[number];

declare module 'fastify' {
  interface FastifyRequest {
    /** Who made the request, for the audit log: `token:<name>`, or `anonymous` when the API is open or the route public. */
    actor: string;
  }
  interface FastifyContextConfig {
    /** The access the route needs; every route must declare it (`config: { access: 'viewer' }`), or start-up fails. */
    access?: Access;
    /**
     * The route also takes its token as `?token=` when no Authorization header is sent
     * (EventSource cannot set headers). Only for routes that must: URLs end up in logs and histories.
     */
    tokenInQuery?: boolean;
  }
}

/** One registered route and the access it declared. */
export interface RouteAccess {
  method: string;
  url: string;
  access: Access;
}

const declared = new WeakMap<object, RouteAccess[]>();

/** Every route registered on `app` (HEAD twins included) with its declared access, in registration order. */
export function declaredRoutes(app: ApiApp): RouteAccess[] {
  return [...(declared.get(app) ?? [])];
}

/** Where the route was reached, for counts and the audit log: the route template, never the raw URL. */
function routeLabel(method: string, url: string | undefined): string {
  return url ? `${method} ${url}` : '(no route)';
}

/** Outcome of {@link authorize}: the caller may go on (as `principal`, if any), or the status, reason and message of a refusal. */
export type AccessDecision =
  | { allow: true; principal?: Principal }
  | { allow: false; status: 401 | 403; reason: string; message: string; principal?: Principal };

/**
 * Pure decision for one request. `access` is the matched route's declared
 * access, or undefined when no route matched (then any valid API token
 * proceeds to the 404, and anyone else gets the same 401 as on a real route,
 * so unauthenticated callers cannot tell which routes exist).
 */
export function authorize(registry: TokenRegistry, access: Access | undefined, authorization: string | undefined): AccessDecision {
  if (access === 'public' || !registry.apiEnforced()) return { allow: true };
  const p = registry.authenticate(authorization);
  if (p === 'missing') return { allow: false, status: 401, reason: 'missing_token', message: 'this API needs a token: send Authorization: Bearer <token>' };
  if (p === 'unknown') return { allow: false, status: 401, reason: 'unknown_token', message: 'unknown or revoked API token' };
  if (p.role === 'ingest') {
    return { allow: false, status: 401, reason: 'not_an_api_token', message: 'an ingest token only works on OTLP ingest; use an API token', principal: p };
  }
  if (access !== undefined && ROLES.indexOf(p.role) < ROLES.indexOf(access)) {
    return {
      allow: false,
      status: 403,
      reason: 'role_too_weak',
      message: `a ${p.role} token cannot do this; it needs a ${access} token or stronger`,
      principal: p,
    };
  }
  return { allow: true, principal: p };
}

/** The Authorization header, or on a `tokenInQuery` route without one, `Bearer <?token=>`. */
function authorizationOf(req: {
  headers: { authorization?: string };
  query: unknown;
  routeOptions: { config?: { tokenInQuery?: boolean } };
}): string | undefined {
  if (req.headers.authorization !== undefined || !req.routeOptions.config?.tokenInQuery) return req.headers.authorization;
  const token = (req.query as Record<string, unknown> | undefined)?.token;
  return typeof token === 'string' && token !== '' ? `Bearer ${token}` : undefined;
}

/**
 * Authorization by matched route, deny by default: every route registered
 * after this must declare `config.access` (`public`, `viewer`, `operator`,
 * `admin`), or registration throws (start-up fails). The check runs in
 * `onRequest` on fastify's own matched route (`request.routeOptions.config`),
 * so however a path is spelled, the route fastify would run decides the role.
 * Every refusal is counted and audited through `denials`.
 */
export function installAuth(app: ApiApp, registry: TokenRegistry, denials: DenialRecorder): void {
  app.decorateRequest('actor', 'anonymous');
  const table: RouteAccess[] = [];
  declared.set(app, table);
  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    if (!access || !ACCESS_LEVELS.includes(access)) {
      const methods = Array.isArray(route.method) ? route.method.join(',') : route.method;
      throw new Error(`route ${methods} ${route.url} declares no access: add config: { access: 'public' | 'viewer' | 'operator' | 'admin' }`);
    }
    for (const method of [route.method].flat()) table.push({ method, url: route.url, access });
  });
  app.addHook('onRequest', async (req, reply) => {
    req.actor = 'anonymous';
    const d = authorize(registry, req.routeOptions.config?.access, authorizationOf(req));
    if (d.allow) {
      if (d.principal) req.actor = d.principal.actor;
      return;
    }
    denials.record({
      actor: d.principal?.actor ?? 'anonymous',
      surface: 'api',
      route: routeLabel(req.method, req.routeOptions.url),
      reason: d.reason,
      status: d.status,
      ip: req.ip,
    });
    if (d.status === 401) void reply.header('www-authenticate', 'Bearer');
    throw new PermanentError(d.status === 401 ? 'ZEROOPS_UNAUTHORIZED' : 'ZEROOPS_FORBIDDEN', d.message, { statusCode: d.status });
  });
}
