/**
 * Authorization by matched route: with tokens configured, every registered
 * non-public route answers 401 without a token and 403 with a token of too
 * small a role, however its path is spelled, through app.inject() and over a
 * real socket with the raw path sent as-is. A spelling that fastify does not
 * route to the handler must not reach it either (401 without a token, 404
 * with one). Unknown routes answer 401 before 404 and do not echo the path.
 */
import { request } from 'node:http';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiApp, declaredRoutes, type RouteAccess } from '../../../services/api/index.ts';
import { createTelemetry, loadConfig, silentLogger, type Telemetry } from '../../../services/core/index.ts';
import { auditLog, createStore, MEMORY_DATA_DIR, type Store } from '../../../services/store/index.ts';
import { WEB_CLIENT_ROUTES } from '../../../services/web/index.ts';
import { buildTestApp } from '../../helpers/api-app.ts';

const TOKENS = { viewer: 'view-secret-1', operator: 'oper-secret-2', admin: 'admin-secret-3', ingest: 'ingest-secret-4' };
const WEAKER = { operator: 'viewer', admin: 'operator' } as const;

/** Ways to spell one path, each a function of the canonical path (params already filled in). */
const SPELLINGS: Record<string, (p: string) => string> = {
  exact: (p) => p,
  'percent-encoded letter': (p) => p.replace(/\/([a-z])([^/]*)$/, (_m, c: string, rest: string) => `/%${c.charCodeAt(0).toString(16)}${rest}`),
  'percent-encoded upper hex': (p) => p.replace(/\/([a-z])([^/]*)$/, (_m, c: string, rest: string) => `/%${c.charCodeAt(0).toString(16).toUpperCase()}${rest}`),
  'every char encoded': (p) => p.replace(/[a-z]/g, (c) => `%${c.charCodeAt(0).toString(16)}`),
  'encoded slashes': (p) => `/${p.slice(1).replaceAll('/', '%2F')}`,
  'leading double slash': (p) => `/${p}`,
  'inner double slash': (p) => p.replace('/v1/', '/v1//'),
  'dot segment': (p) => p.replace('/v1/', '/v1/./'),
  'dot-dot segment': (p) => p.replace('/v1/', '/v1/x/../'),
  'encoded dot-dot': (p) => p.replace('/v1/', '/v1/x/%2e%2e/'),
  'from a public path': (p) => `/healthz/..${p}`,
  'upper case': (p) => p.toUpperCase(),
  'mixed case': (p) => p.replace('/api/', '/Api/'),
  'trailing slash': (p) => `${p}/`,
  'trailing dot': (p) => `${p}.`,
  backslashes: (p) => p.replaceAll('/', '\\'),
  'empty query': (p) => `${p}?`,
  'query naming a public path': (p) => `${p}?next=/healthz&access=public`,
  'semicolon parameter': (p) => `${p};jsessionid=1`,
  fragment: (p) => `${p}#/healthz`,
  'encoded null': (p) => `${p}%00`,
  'encoded tab': (p) => `${p}%09`,
  'broken percent-encoding': (p) => `${p}%zz`,
  'truncated percent-encoding': (p) => `${p}%`,
};

interface Answer {
  /** 0 when the connection was closed without an answer. */
  status: number;
  body: string;
}

/**
 * Refused before any route was chosen: by node's HTTP parser (400 "Client Error" or a closed connection,
 * e.g. for backslashes) or by fastify's router for invalid percent-encoding (400 ZEROOPS_BAD_URL).
 */
function refusedBeforeRouting(a: Answer): boolean {
  return a.status === 0 || (a.status === 400 && (a.body.includes('Client Error') || a.body.includes('ZEROOPS_BAD_URL')));
}

function fill(url: string): string {
  return url.replace(/:[A-Za-z]+/g, 'x1');
}

function sendSocket(base: URL, method: string, path: string, token?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = ['POST', 'PUT', 'PATCH'].includes(method) ? '{}' : undefined;
    const req = request(
      {
        agent: false,
        host: base.hostname,
        port: base.port,
        method,
        path,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    // node's HTTP parser refuses some raw paths (backslashes) with a 400 that carries a body even to HEAD, or by
    // closing the connection: the client then sees a reset or a parse error.
    req.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'ECONNRESET' || err.code?.startsWith('HPE_') ? resolve({ status: 0, body: err.message }) : reject(err),
    );
    req.end(body);
  });
}

describe('authorization by matched route', () => {
  let store: Store;
  let app: ApiApp;
  let base: URL;
  let telemetry: Telemetry;
  let routes: RouteAccess[];

  beforeAll(async () => {
    store = await createStore({ databaseUrl: '', dataDir: MEMORY_DATA_DIR, poolSize: 1, connectTimeoutMs: 10_000, logger: silentLogger() });
    telemetry = createTelemetry();
    const config = loadConfig(
      {
        ZEROOPS_API_TOKENS: `viewer:${TOKENS.viewer},operator:${TOKENS.operator},admin:${TOKENS.admin}`,
        ZEROOPS_INGEST_TOKENS: TOKENS.ingest,
      },
      { apiPort: 0 },
    );
    app = (await buildTestApp({ store, config, telemetry })).app;
    base = new URL(await app.listen({ host: '127.0.0.1', port: 0 }));
    routes = declaredRoutes(app);
  });

  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  it('knows every route and each declares its access; only health checks, whoami and the web UI page and assets are public', () => {
    expect(routes.length).toBeGreaterThan(25);
    expect(routes.filter((r) => r.access === 'public').map((r) => r.url)).toEqual(expect.arrayContaining(['/healthz', '/readyz']));
    // The web UI's page and assets hold no data: what it shows comes from the API's role-checked routes.
    const web = [...WEB_CLIENT_ROUTES, '/assets/:file'];
    expect(new Set(routes.filter((r) => r.access === 'public').map((r) => r.url))).toEqual(new Set(['/healthz', '/readyz', '/api/v1/whoami', ...web]));
    const find = (m: string, u: string) => routes.find((r) => r.method === m && r.url === u)?.access;
    expect(find('POST', '/api/v1/playbooks')).toBe('admin');
    expect(find('POST', '/api/v1/playbooks/apply')).toBe('admin');
    expect(find('POST', '/api/v1/tokens')).toBe('admin');
    expect(find('POST', '/api/v1/executions/:id/approve')).toBe('operator');
    expect(find('GET', '/api/v1/executions')).toBe('viewer');
    expect(find('POST', '/api/v1/changes')).toBe('operator');
    expect(find('GET', '/api/v1/changes/:id')).toBe('viewer');
    expect(find('GET', '/api/v1/audit')).toBe('admin');
  });

  for (const transport of ['inject', 'socket'] as const) {
    it(`over ${transport}: every non-public route, every spelling: 401 without a token, 403 with a weaker one, never the handler`, async () => {
      const once = async (method: string, path: string, token?: string): Promise<Answer> => {
        if (transport === 'socket') return sendSocket(base, method, path, token);
        const body = ['POST', 'PUT', 'PATCH'].includes(method) ? {} : undefined;
        const r = await app.inject({ method: method as 'GET', url: path, headers: token ? { authorization: `Bearer ${token}` } : {}, payload: body });
        return { status: r.statusCode, body: r.body };
      };
      const send = async (method: string, path: string, token?: string): Promise<Answer> => {
        const a = await once(method, path, token);
        // A HEAD answer has no body to tell a refusal before routing from a handler's 400: the GET twin does
        // (the router rejects a path before it looks at the method).
        if (method === 'HEAD' && a.status === 400 && a.body === '') return { status: 400, body: (await once('GET', path, token)).body };
        return a;
      };
      const failures: string[] = [];
      let routed403 = 0;
      for (const r of routes.filter((x) => x.access !== 'public')) {
        for (const [name, spell] of Object.entries(SPELLINGS)) {
          const path = spell(fill(r.url));
          const where = `${r.method} ${path} (${r.url}, ${name})`;
          const none = await send(r.method, path);
          if (none.status !== 401 && !refusedBeforeRouting(none)) failures.push(`${where} without a token: ${none.status}`);
          const ingest = await send(r.method, path, TOKENS.ingest);
          if (ingest.status !== 401 && !refusedBeforeRouting(ingest)) failures.push(`${where} with an ingest token: ${ingest.status}`);
          const weaker = r.access === 'operator' || r.access === 'admin' ? WEAKER[r.access] : undefined;
          if (!weaker) continue;
          // A weaker token is refused (403), or gets the very answer an admin token gets when fastify routes the
          // spelling to no handler (404): it never reaches the handler.
          const weak = await send(r.method, path, TOKENS[weaker]);
          const strong = weak.status === 403 ? undefined : await send(r.method, path, TOKENS.admin);
          const sameNonRoute = strong && ((weak.status === 404 && strong.status === 404) || (refusedBeforeRouting(weak) && refusedBeforeRouting(strong)));
          if (strong && !sameNonRoute) failures.push(`${where} with a ${weaker} token: ${weak.status} (admin: ${strong.status})`);
          const routed = weak.status === 403;
          if (routed) routed403++;
        }
      }
      expect(failures).toEqual([]);
      // The table must exercise spellings fastify does route (percent-encoding, ...), not only 404s.
      expect(routed403).toBeGreaterThan(routes.filter((r) => r.access !== 'public' && r.access !== 'viewer').length);
    }, 240_000);
  }

  it('public routes answer without a token; tokens of every role reach viewer routes', async () => {
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    for (const t of [TOKENS.viewer, TOKENS.operator, TOKENS.admin]) {
      expect((await app.inject({ url: '/api/v1/playbooks', headers: { authorization: `Bearer ${t}` } })).statusCode).toBe(200);
    }
    expect((await app.inject({ url: '/api/v1/openapi.json', headers: { authorization: `Bearer ${TOKENS.viewer}` } })).statusCode).toBe(200);
  });

  it('unknown routes: 401 without a token (as real ones), 404 with one, the path never echoed', async () => {
    const probe = '/api/v1/secret-admin-thing';
    const none = await sendSocket(base, 'GET', probe);
    expect(none.status).toBe(401);
    expect(none.body).not.toContain('secret-admin-thing');
    const known = await sendSocket(base, 'GET', '/api/v1/playbooks');
    expect(JSON.parse(none.body)).toEqual(JSON.parse(known.body));
    const viewer = await sendSocket(base, 'GET', probe, TOKENS.viewer);
    expect(viewer.status).toBe(404);
    expect(viewer.body).not.toContain('secret-admin-thing');
    expect((await sendSocket(base, 'GET', '/nothing-here')).status).toBe(401);
  });

  it('every refusal is counted and audited with who, route and reason, never the token', async () => {
    await app.inject({ method: 'DELETE', url: '/api/v1/playbooks/pb-1', headers: { authorization: `Bearer ${TOKENS.operator}` } });
    await app.inject({ method: 'DELETE', url: '/api/v1/playbooks/pb-1', headers: { authorization: 'Bearer not-a-token-xyz' } });
    const counted = telemetry.snapshot();
    expect(counted['zeroops.auth.denied{reason=role_too_weak,route=DELETE /api/v1/playbooks/:id,status=403,surface=api}']).toBeGreaterThan(0);
    expect(counted['zeroops.auth.denied{reason=unknown_token,route=DELETE /api/v1/playbooks/:id,status=401,surface=api}']).toBeGreaterThan(0);
    let rows: (typeof auditLog.$inferSelect)[] = [];
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      rows = await store.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.action, 'auth.deny'), eq(auditLog.subjectId, 'DELETE /api/v1/playbooks/:id')));
      if (rows.some((r) => r.details.reason === 'unknown_token') && rows.some((r) => r.details.reason === 'role_too_weak')) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const weak = rows.find((r) => r.details.reason === 'role_too_weak');
    expect(weak?.actor).toMatch(/^token:env:operator:[0-9a-f]{8}$/);
    expect(weak?.details.status).toBe(403);
    expect(rows.find((r) => r.details.reason === 'unknown_token')?.actor).toBe('anonymous');
    const all = JSON.stringify(await store.db.select().from(auditLog));
    for (const secret of [...Object.values(TOKENS), 'not-a-token-xyz']) expect(all).not.toContain(secret);
  });

  it('a route that declares no access stops start-up', async () => {
    const config = loadConfig({}, {});
    const build = buildTestApp({
      store,
      config,
      telemetry,
      extra: [
        (a) => {
          a.get('/api/v1/undeclared', async () => ({ ok: true }));
        },
      ],
    });
    await expect(build).rejects.toThrow(/GET \/api\/v1\/undeclared declares no access/);
  });
});
