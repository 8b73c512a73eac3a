import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiApp } from '../../../services/api/index.ts';
import { loadConfig } from '../../../services/core/config.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { createStore, isStoreUnavailable, type Store } from '../../../services/store/index.ts';
import { buildTestApp } from '../../helpers/api-app.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.ts';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.ts';
import { spawnZeroops } from '../../helpers/zeroops-process.ts';
import { rejectionOf } from './backends.ts';

const STATEMENT_TIMEOUT_MS = 1_500;
// A generous bound for "answered instead of hanging": many times the timeouts, far below the 40 s seen before.
const ANSWER_WITHIN_MS = 20_000;

/** The test database reached through a proxy the test can break. */
async function proxiedDatabase(): Promise<{ db: TestDatabase; proxy: TcpProxy; url: string }> {
  const db = await createTestDatabase();
  const real = new URL(db.url);
  const proxy = await startTcpProxy(real.hostname, Number(real.port || 5432));
  const url = new URL(db.url);
  url.host = `127.0.0.1:${proxy.port}`;
  return { db, proxy, url: url.toString() };
}

const requests = [
  { method: 'GET', url: '/api/v1/anomalies' },
  { method: 'GET', url: '/api/v1/anomalies/some-id' },
  { method: 'GET', url: '/api/v1/incidents' },
  { method: 'GET', url: '/api/v1/playbooks' },
  { method: 'GET', url: '/api/v1/executions' },
  {
    method: 'POST',
    url: '/api/v1/playbooks',
    payload: { name: 'p1', mode: 'observe', match: { service: 'a*' }, steps: [{ id: 'w', type: 'wait', wait: { seconds: 1 } }] },
  },
] as const;

describe('the store failing (real Postgres behind a TCP proxy)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function openApi(): Promise<{ app: ApiApp; store: Store; proxy: TcpProxy }> {
    const { db, proxy, url } = await proxiedDatabase();
    cleanups.push(
      () => db.drop(),
      () => proxy.close(),
    );
    const store = await createStore({
      databaseUrl: url,
      dataDir: ':memory:',
      poolSize: 2,
      connectTimeoutMs: 5_000,
      statementTimeoutMs: STATEMENT_TIMEOUT_MS,
      logger: silentLogger(),
    });
    cleanups.push(() => store.close());
    const config = loadConfig({ DATABASE_URL: url });
    const { app, close } = await buildTestApp({ store, config });
    cleanups.push(close);
    // Warm the pool so that both failure modes also hit connections opened before the failure.
    expect((await app.inject('/api/v1/anomalies')).statusCode).toBe(200);
    return { app, store, proxy };
  }

  async function expectUnavailable(app: ApiApp): Promise<void> {
    for (const r of requests) {
      const t0 = Date.now();
      const res = await app.inject(r);
      expect(Date.now() - t0, `${r.method} ${r.url}`).toBeLessThan(ANSWER_WITHIN_MS);
      expect(res.statusCode, `${r.method} ${r.url}: ${res.body}`).toBe(503);
      expect(res.json().error.code).toBe('ZEROOPS_STORE_UNAVAILABLE');
      expect(res.json().error.message).toMatch(/database is unavailable/);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks.bus).toBe('ok');
  }

  it('answers 503 ZEROOPS_STORE_UNAVAILABLE with Retry-After when Postgres is down', async () => {
    const { app, proxy } = await openApi();
    proxy.refuse();
    await expectUnavailable(app);
  });

  it('answers 503 instead of hanging when Postgres accepts connections and never answers', async () => {
    const { app, proxy } = await openApi();
    proxy.blackhole();
    await expectUnavailable(app);
  });

  it('cancels a statement that runs past the statement timeout, as "store unavailable"', async () => {
    const { store } = await openApi();
    const err = await rejectionOf(store.db.execute(sql`select pg_sleep(30)`));
    expect(isStoreUnavailable(err)).toBe(true);
    // The pool still serves afterwards.
    await store.ping();
  });

  it('zeroops api exits 0 within its shutdown deadline on SIGTERM while the database hangs', async () => {
    const { db, proxy, url } = await proxiedDatabase();
    cleanups.push(
      () => db.drop(),
      () => proxy.close(),
    );
    const p = spawnZeroops(['api'], {
      DATABASE_URL: url,
      ZEROOPS_API_PORT: '0',
      ZEROOPS_DATABASE_STATEMENT_TIMEOUT_MS: '4000',
      ZEROOPS_SHUTDOWN_TIMEOUT_MS: '6000',
      ZEROOPS_RETENTION_INTERVAL_SECONDS: '0',
    });
    try {
      const [, api] = await p.waitFor(/API\s+(http:\/\/\S+)/, 60_000);
      expect((await fetch(`${api}/api/v1/anomalies`)).status).toBe(200);
      proxy.blackhole();
      // A request that will wait on the silent database while the signal arrives.
      const inFlight = fetch(`${api}/api/v1/playbooks`).then(
        (r) => r.status,
        (e: unknown) => String(e),
      );
      await new Promise((r) => setTimeout(r, 500));
      p.child.kill('SIGTERM');
      // main.ts exits 1 once the deadline (6 s) plus its 5 s margin has passed; 0 means the stop kept its deadline.
      expect(await p.exited, p.stderr()).toBe(0);
      await inFlight;
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
    }
  });
});
