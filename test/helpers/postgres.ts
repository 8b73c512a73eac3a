import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server the integration tests use: `ZEROOPS_TEST_PG_URL`, default the local trust-auth cluster. */
export function testPostgresUrl(): string {
  return process.env.ZEROOPS_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** A database created for one test file; `drop()` removes it (idempotent). */
export interface TestDatabase {
  /** Connection string of the new database (same server and credentials as {@link testPostgresUrl}). */
  url: string;
  /** The database name, `zeroops_test_<random>`. */
  name: string;
  /** Drops the database, terminating connections still open to it. */
  drop(): Promise<void>;
}

function hostOf(url: string): string {
  const u = new URL(url);
  return `${u.hostname || 'localhost'}:${u.port || '5432'}`;
}

async function adminQuery(adminUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch((endErr: unknown) => void endErr);
    throw new Error(
      `PostgreSQL is not reachable at ${hostOf(adminUrl)}: start it with ` +
        '`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` ' +
        '(or point ZEROOPS_TEST_PG_URL at a server). Cause: ' +
        (err instanceof Error ? err.message : String(err)),
      { cause: err },
    );
  }
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * Creates a fresh, empty database `zeroops_test_<random>` on the test server
 * and returns its URL. Fails loudly (never skips) when the server is down.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = testPostgresUrl();
  const name = `zeroops_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
