import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentError, RetryableError, silentLogger } from '../../../services/core/index.ts';
import { anomalies, createStore, DEFAULT_MIGRATIONS_DIR, describeDatabaseUrl, MEMORY_DATA_DIR, type Store, services } from '../../../services/store/index.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.ts';
import { drizzleMigrations, rejectionOf } from './backends.ts';

const logger = silentLogger();
const journal = JSON.parse(readFileSync(join(DEFAULT_MIGRATIONS_DIR, 'meta/_journal.json'), 'utf8')) as { entries: unknown[] };

/** A TCP port nothing listens on: bound by us, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

describe('Postgres start-up', () => {
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await createTestDatabase();
  });
  afterAll(async () => {
    await testDb?.drop();
  });

  it('fails with ZEROOPS_STORE_UNAVAILABLE naming host:port/database but not the password', async () => {
    const port = await closedPort();
    const url = `postgres://zeroops:s3cr3t-Pa55@127.0.0.1:${port}/zeroops_prod`;
    const err = await rejectionOf(createStore({ databaseUrl: url, dataDir: MEMORY_DATA_DIR, poolSize: 2, connectTimeoutMs: 800, logger }));
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).code).toBe('ZEROOPS_STORE_UNAVAILABLE');
    expect((err as Error).message).toContain(`127.0.0.1:${port}/zeroops_prod`);
    expect((err as Error).message).not.toContain('s3cr3t-Pa55');
  });

  it('rejects a malformed DATABASE_URL as a configuration error without echoing it', async () => {
    const err = await rejectionOf(createStore({ databaseUrl: 'not a url s3cr3t', dataDir: MEMORY_DATA_DIR, poolSize: 2, connectTimeoutMs: 800, logger }));
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).code).toBe('ZEROOPS_CONFIG_INVALID');
    expect((err as Error).message).not.toContain('s3cr3t');
  });

  it('describes URLs with defaults for port and database', () => {
    expect(describeDatabaseUrl('postgres://u:p@db.internal/zeroops').label).toBe('db.internal:5432/zeroops');
    expect(describeDatabaseUrl('postgresql://u@10.0.0.5:6543').label).toBe('10.0.0.5:6543/u');
  });

  it('migrates safely when several processes start at once', async () => {
    const settings = { databaseUrl: testDb.url, dataDir: MEMORY_DATA_DIR, poolSize: 2, connectTimeoutMs: 5_000, logger };
    const results = await Promise.allSettled([createStore(settings), createStore(settings), createStore(settings), createStore(settings)]);
    const stores = results.filter((r): r is PromiseFulfilledResult<Store> => r.status === 'fulfilled').map((r) => r.value);
    try {
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      const [first, second] = stores as [Store, Store, ...Store[]];
      const applied = await first.db.select().from(drizzleMigrations);
      expect(applied).toHaveLength(journal.entries.length);
      // Every store sees the same tables.
      await second.db.insert(services).values({ name: 'a' });
      const seen = await Promise.all(stores.map((s) => s.db.select().from(services)));
      expect(seen.map((rows) => rows.map((r) => r.name))).toEqual([['a'], ['a'], ['a'], ['a']]);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});

describe('in-memory PGlite', () => {
  it('gives each store its own migrated database', async () => {
    const settings = { databaseUrl: '', dataDir: MEMORY_DATA_DIR, poolSize: 1, connectTimeoutMs: 1_000, logger };
    const a = await createStore(settings);
    const b = await createStore(settings);
    try {
      expect(a.kind).toBe('pglite');
      await a.db.insert(services).values({ name: 'only-in-a' });
      expect(await a.db.select().from(services)).toHaveLength(1);
      expect(await b.db.select().from(services)).toEqual([]);
      expect(await b.db.select().from(anomalies)).toEqual([]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
