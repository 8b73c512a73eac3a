/**
 * /api/v1/tokens on both stores: tokens are created (shown once), listed
 * without secrets, stored only as SHA-256, revoked at once in the process
 * that revoked them and within the refresh period in another one; the
 * environment's tokens keep working as the bootstrap; an open API closes
 * when its first token is created and does not reopen when it is revoked.
 */
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiApp } from '../../../services/api/index.ts';
import { createToken, createTokenRegistry } from '../../../services/auth/index.ts';
import { type Config, loadConfig, silentLogger } from '../../../services/core/index.ts';
import { accessTokens, auditLog, createStore, type Store } from '../../../services/store/index.ts';
import { buildTestApp, type TestApp } from '../../helpers/api-app.ts';
import { BACKENDS, type BackendInstance } from '../store/backends.ts';

const ADMIN = 'bootstrap-admin-secret';
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

async function eventually(what: string, cond: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const backend of BACKENDS) {
  describe(`API tokens on ${backend.name}`, () => {
    let inst: BackendInstance;
    let store: Store;
    const apps: TestApp[] = [];
    const open = async (config: Config): Promise<ApiApp> => {
      const built = await buildTestApp({ store, config });
      apps.push(built);
      return built.app;
    };

    beforeAll(async () => {
      inst = await backend.create();
      store = await createStore(inst.settings);
    });
    afterAll(async () => {
      for (const a of apps) await a.close();
      await store?.close();
      await inst?.cleanup();
    });

    it('an open API closes with its first token, and revoking it does not reopen it', async () => {
      const app = await open(loadConfig({}, {}));
      expect((await app.inject({ url: '/api/v1/playbooks' })).statusCode).toBe(200);
      const res = await app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { name: 'first-admin', role: 'admin' } });
      expect(res.statusCode).toBe(201);
      const first = res.json() as { id: string; token: string };
      expect((await app.inject({ url: '/api/v1/playbooks' })).statusCode).toBe(401);
      expect((await app.inject({ url: '/api/v1/playbooks', headers: bearer(first.token) })).statusCode).toBe(200);
      expect((await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${first.id}`, headers: bearer(first.token) })).statusCode).toBe(200);
      expect((await app.inject({ url: '/api/v1/playbooks' })).statusCode).toBe(401);
      expect((await app.inject({ url: '/api/v1/playbooks', headers: bearer(first.token) })).statusCode).toBe(401);
    });

    it('create (shown once), list (no secret), hashed at rest, roles enforced, revoke at once here', async () => {
      const app = await open(loadConfig({ ZEROOPS_API_TOKENS: `admin:${ADMIN}` }, {}));
      const made = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: bearer(ADMIN), payload: { name: 'ci-reader', role: 'viewer' } });
      expect(made.statusCode).toBe(201);
      const v = made.json() as { id: string; token: string; createdBy: string };
      expect(v.token).toMatch(/^zeroops_[A-Za-z0-9_-]{43}$/);
      expect(v.createdBy).toMatch(/^token:env:admin:[0-9a-f]{8}$/);
      const [row] = await store.db.select().from(accessTokens).where(eq(accessTokens.id, v.id));
      expect(row?.hash).toBe(createHash('sha256').update(v.token).digest('hex'));
      expect(JSON.stringify(row)).not.toContain(v.token);

      const list = await app.inject({ url: '/api/v1/tokens', headers: bearer(ADMIN) });
      expect(list.statusCode).toBe(200);
      expect(list.body).not.toContain(v.token);
      expect(list.body).not.toContain(row?.hash);
      expect((list.json() as { items: { name: string }[] }).items.map((t) => t.name)).toContain('ci-reader');

      expect((await app.inject({ url: '/api/v1/playbooks', headers: bearer(v.token) })).statusCode).toBe(200);
      expect((await app.inject({ method: 'DELETE', url: '/api/v1/playbooks/x', headers: bearer(v.token) })).statusCode).toBe(403);
      expect((await app.inject({ url: '/api/v1/tokens', headers: bearer(v.token) })).statusCode).toBe(403);
      const dup = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: bearer(ADMIN), payload: { name: 'ci-reader', role: 'admin' } });
      expect(dup.statusCode).toBe(409);
      expect(dup.json()).toMatchObject({ error: { code: 'ZEROOPS_TOKEN_NAME_TAKEN' } });
      const bad = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: bearer(ADMIN), payload: { name: 'x', role: 'root' } });
      expect(bad.statusCode).toBe(400);

      const revoked = await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${v.id}`, headers: bearer(ADMIN) });
      expect(revoked.statusCode).toBe(200);
      expect(revoked.json()).toMatchObject({ revokedBy: v.createdBy });
      expect((await app.inject({ url: '/api/v1/playbooks', headers: bearer(v.token) })).statusCode).toBe(401);
      expect((await app.inject({ method: 'DELETE', url: `/api/v1/tokens/${v.id}`, headers: bearer(ADMIN) })).statusCode).toBe(409);
      expect((await app.inject({ method: 'DELETE', url: '/api/v1/tokens/tok_nope', headers: bearer(ADMIN) })).statusCode).toBe(404);

      const audit = await store.db.select().from(auditLog).where(eq(auditLog.subjectId, v.id));
      expect(audit.map((a) => a.action)).toEqual(['token.create', 'token.revoke']);
      expect(JSON.stringify(await store.db.select().from(auditLog))).not.toContain(v.token);
    });

    it('another process sees a new token and its revocation within the refresh period', async () => {
      const config = loadConfig({ ZEROOPS_API_TOKENS: `admin:${ADMIN}`, ZEROOPS_TOKEN_CACHE_SECONDS: '0.2' }, {});
      const here = await open(config);
      const there = await open(config);
      const made = await here.inject({ method: 'POST', url: '/api/v1/tokens', headers: bearer(ADMIN), payload: { name: 'operator-bob', role: 'operator' } });
      const op = made.json() as { id: string; token: string };
      const statusThere = async () => (await there.inject({ method: 'POST', url: '/api/v1/executions/none/cancel', headers: bearer(op.token) })).statusCode;
      // 404: authorized as operator, and no such execution.
      await eventually('the new token works in the other process', async () => (await statusThere()) === 404);
      await here.inject({ method: 'DELETE', url: `/api/v1/tokens/${op.id}`, headers: bearer(ADMIN) });
      await eventually('the revocation reaches the other process', async () => (await statusThere()) === 401);
    });
  });
}

describe('token registry without its store', () => {
  it('stops accepting created tokens once the store cannot be read for three refresh periods; environment tokens keep working', async () => {
    const inst = await (BACKENDS.find((b) => b.kind === 'pglite') as (typeof BACKENDS)[number]).create();
    const store = await createStore(inst.settings);
    const registry = createTokenRegistry({ db: store.db, apiTokens: [`admin:${ADMIN}`], ingestTokens: [], refreshMs: 100, logger: silentLogger() });
    try {
      const made = await createToken(store.db, 'short-lived', 'viewer', 'test');
      await registry.start();
      expect(registry.authenticate(`Bearer ${made.token}`)).toMatchObject({ actor: 'token:short-lived', role: 'viewer' });
      await store.close();
      await eventually('created tokens are refused', async () => registry.authenticate(`Bearer ${made.token}`) === 'unknown');
      expect(registry.authenticate(`Bearer ${ADMIN}`)).toMatchObject({ role: 'admin', source: 'env' });
    } finally {
      registry.stop();
      await inst.cleanup();
    }
  });
});
