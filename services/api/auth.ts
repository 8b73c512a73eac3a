import { createHash } from 'node:crypto';
import { PermanentError } from '../core/errors.ts';
import type { RouteModule } from './deps.ts';

/** API roles, weakest first: viewer reads, operator also writes, admin may do everything. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
/** An API role. */
export type Role = (typeof ROLES)[number];

declare module 'fastify' {
  interface FastifyRequest {
    /** Who made the request, for the audit log: `token:<role>`, or `anonymous` when no tokens are configured. */
    actor: string;
  }
}

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

/** Parses config.apiTokens (`role:token` entries) into a map from the SHA-256 of each token to its role; tokens are kept only hashed. */
export function parseApiTokens(entries: string[]): Map<string, Role> {
  const out = new Map<string, Role>();
  for (const e of entries) {
    const i = e.indexOf(':');
    const role = e.slice(0, i) as Role;
    if (i > 0 && ROLES.includes(role)) out.set(digest(e.slice(i + 1)), role);
  }
  return out;
}

/** Role a request needs: reads need viewer, anything else operator. */
export function requiredRole(method: string): Role {
  return ['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase()) ? 'viewer' : 'operator';
}

/** Pure decision: 401 without a known token, 403 when its role is too weak, else the role. */
export function authorize(tokens: Map<string, Role>, method: string, authorization: string | undefined): Role {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  const role = m?.[1] ? tokens.get(digest(m[1])) : undefined;
  if (!role) {
    throw new PermanentError('ZEROOPS_UNAUTHORIZED', m ? 'unknown API token' : 'this API needs a token: send Authorization: Bearer <token>', {
      statusCode: 401,
    });
  }
  const need = requiredRole(method);
  if (ROLES.indexOf(role) < ROLES.indexOf(need)) {
    throw new PermanentError('ZEROOPS_FORBIDDEN', `a ${role} token cannot ${method} here; it needs an ${need} or admin token`, { statusCode: 403 });
  }
  return role;
}

/**
 * The API's token check, registered before every other route module. Once
 * config.apiTokens is non-empty, every /api/v1 route needs a token (viewer
 * for reads, operator or admin for writes); /healthz and /readyz stay open.
 */
export const authRoutes: RouteModule = (app, deps) => {
  const tokens = parseApiTokens(deps.config.apiTokens);
  app.decorateRequest('actor', 'anonymous');
  app.addHook('onRequest', async (req) => {
    req.actor = 'anonymous';
    if (tokens.size === 0 || !req.url.startsWith('/api/v1')) return;
    req.actor = `token:${authorize(tokens, req.method, req.headers.authorization)}`;
  });
};
