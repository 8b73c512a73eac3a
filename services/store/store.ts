import { fileURLToPath } from 'node:url';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { Logger } from '../core/index.ts';
import * as schema from './schema/index.ts';

/** The full schema object `Db` is typed with (every table of services/store/schema). */
export { schema };

/**
 * The drizzle database handle. The same type whichever driver runs (pg or
 * PGlite): code outside the store must not depend on the driver. Results of
 * `db.execute()` are driver-specific; prefer the query builder.
 */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/** Which backend a {@link Store} runs on. */
export type StoreKind = 'postgres' | 'pglite';

/**
 * An open database with the zeroops schema migrated to the latest version.
 * Owned by whoever called {@link createStore}; that caller closes it.
 */
export interface Store {
  /** `postgres` when `DATABASE_URL` is set, else the embedded `pglite`. */
  readonly kind: StoreKind;
  /** The drizzle handle; valid until {@link Store.close}. */
  readonly db: Db;
  /** Round-trips a trivial query; rejects when the database is unreachable (readiness). */
  ping(): Promise<void>;
  /**
   * Closes the pool or the embedded database. Idempotent; later calls resolve
   * at once. On Postgres it waits at most the statement timeout plus 2 s, even
   * when the server has stopped answering.
   */
  close(): Promise<void>;
}

/** Runtime settings of {@link createStore} (from {@link Config} in services/core). */
export interface StoreSettings {
  /** PostgreSQL connection string; empty selects PGlite. */
  databaseUrl: string;
  /** Data directory; PGlite keeps its files in `<dataDir>/pglite`. `':memory:'` runs PGlite in memory (tests). */
  dataDir: string;
  /** Maximum Postgres connections in the pool (ignored by PGlite). */
  poolSize: number;
  /** How long start-up waits for Postgres before failing, in milliseconds (retrying transient errors meanwhile). */
  connectTimeoutMs: number;
  /**
   * Longest a statement may run on Postgres (its `statement_timeout`), in
   * milliseconds; a silent server is given up 1 s later and a connection is
   * waited for at most this long. Default {@link DEFAULT_STATEMENT_TIMEOUT_MS}.
   * Migrations at start-up are not limited. Ignored by PGlite.
   */
  statementTimeoutMs?: number;
  /** Logger; the store logs under `component: 'store'`. */
  logger: Logger;
  /** Folder of drizzle migrations; defaults to services/store/migrations next to this module. */
  migrationsDir?: string;
}

/** Default of {@link StoreSettings.statementTimeoutMs}: 10 s. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 10_000;

/** The `dataDir` value that selects an in-memory PGlite database. */
export const MEMORY_DATA_DIR = ':memory:';

/** Where the committed migrations live, next to this module. */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));

/**
 * Opens the store: Postgres (a `pg.Pool`) when `settings.databaseUrl` is set,
 * otherwise PGlite in `<dataDir>/pglite` (created if missing) or in memory.
 * Applies pending migrations before resolving; on Postgres this is serialized
 * by an advisory lock, so several processes may start at once.
 *
 * @throws RetryableError `ZEROOPS_STORE_UNAVAILABLE` when Postgres cannot be
 *   reached within `connectTimeoutMs` (the message names host, port and
 *   database, never the password).
 * @throws PermanentError `ZEROOPS_CONFIG_INVALID` when `databaseUrl` is not a URL.
 *
 * Once open, queries that fail because the database is down, lost the
 * connection or did not answer in time are recognised by
 * `isStoreUnavailable` (sql-errors.ts).
 */
export async function createStore(settings: StoreSettings): Promise<Store> {
  const logger = settings.logger.child({ component: 'store' });
  const migrationsDir = settings.migrationsDir ?? DEFAULT_MIGRATIONS_DIR;
  if (settings.databaseUrl !== '') {
    const { openPostgresStore } = await import('./postgres-store.ts');
    return openPostgresStore({ ...settings, statementTimeoutMs: settings.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS, logger, migrationsDir });
  }
  const { openPgliteStore } = await import('./pglite-store.ts');
  return openPgliteStore({ dataDir: settings.dataDir, logger, migrationsDir });
}
