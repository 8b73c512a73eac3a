import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { describeError, type Logger, PermanentError, RetryableError, settlesWithin, sleep } from '../core/index.ts';
import { closeOnce } from './close-once.ts';
import * as schema from './schema/index.ts';
import type { Db, Store } from './store.ts';

/**
 * Key of the session-level advisory lock held while migrating, so that
 * concurrent start-ups on one database migrate one after the other.
 */
export const MIGRATION_LOCK_KEY = 7_305_117_001n;

/** Where a DATABASE_URL points, for messages: never includes the password. */
export interface PostgresTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  /** `host:port/database`. */
  label: string;
}

/** Parses `databaseUrl` into a printable {@link PostgresTarget}. Throws a PermanentError (without echoing the URL) when it is not a URL. */
export function describeDatabaseUrl(databaseUrl: string): PostgresTarget {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch (err) {
    throw new PermanentError('ZEROOPS_CONFIG_INVALID', 'DATABASE_URL is not a valid URL: expected postgres://user:password@host:port/database', { cause: err });
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new PermanentError('ZEROOPS_CONFIG_INVALID', `DATABASE_URL must start with postgres:// or postgresql://, got ${url.protocol}//`);
  }
  const host = url.searchParams.get('host') ?? (url.hostname === '' ? 'localhost' : url.hostname);
  const port = url.port === '' ? 5432 : Number(url.port);
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || decodeURIComponent(url.username) || 'postgres';
  return { host, port, database, user: decodeURIComponent(url.username), label: `${host}:${port}/${database}` };
}

/** Network-level and "starting up" failures are worth retrying until the deadline; auth or missing database are not. */
function isTransientConnectError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return /timeout|terminated/i.test(describeError(err));
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', '57P03', '53300'].includes(code);
}

function unavailable(target: PostgresTarget, password: string, err: unknown): RetryableError {
  let reason = describeError(err);
  if (password !== '') reason = reason.split(password).join('[redacted]');
  return new RetryableError(
    'ZEROOPS_STORE_UNAVAILABLE',
    `PostgreSQL is not reachable at ${target.label} (user "${target.user}") from DATABASE_URL: ${reason}`,
    { cause: err, retryAfterMs: 1_000 },
  );
}

/** Connects one client, retrying transient errors until `deadline` (epoch ms). */
async function connectUntil(databaseUrl: string, deadline: number, target: PostgresTarget, password: string): Promise<pg.Client> {
  for (let delayMs = 100; ; delayMs = Math.min(delayMs * 2, 1_000)) {
    const remaining = Math.max(1, deadline - Date.now());
    const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: remaining });
    try {
      await client.connect();
      return client;
    } catch (err) {
      // The client never opened; end() only releases its socket.
      await client.end().catch((endErr: unknown) => void endErr);
      if (!isTransientConnectError(err) || Date.now() + delayMs >= deadline) throw unavailable(target, password, err);
      await sleep(delayMs);
    }
  }
}

/** Applies pending migrations on a dedicated connection while holding {@link MIGRATION_LOCK_KEY}. */
async function migrateLocked(client: pg.Client, migrationsDir: string, logger: Logger): Promise<void> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
  try {
    await migrate(drizzle({ client, schema }), { migrationsFolder: migrationsDir });
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]).catch((err: unknown) => {
      // Ending the session below releases the lock anyway.
      logger.warn({ err: describeError(err) }, 'store: could not release the migration lock');
    });
  }
}

/**
 * Ends the pool, but never waits longer than `boundMs`: ending a connection
 * waits for the server to close it, which a hung server never does. Past the
 * bound the sockets still open are destroyed, so a shutdown keeps its deadline.
 */
async function endPool(pool: pg.Pool, clients: ReadonlySet<pg.PoolClient>, boundMs: number, logger: Logger): Promise<void> {
  if (await settlesWithin(boundMs, pool.end())) return;
  logger.warn({ boundMs }, 'store: Postgres connections did not close in time; dropping them');
  for (const c of clients) {
    // pg has no public way to drop a connection whose server went silent: destroy its socket.
    (c as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  }
}

/**
 * Opens a Postgres store: waits up to `connectTimeoutMs` for the server,
 * migrates under an advisory lock, then serves queries from a `pg.Pool`.
 */
export async function openPostgresStore(opts: {
  databaseUrl: string;
  poolSize: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  logger: Logger;
  migrationsDir: string;
}): Promise<Store> {
  const target = describeDatabaseUrl(opts.databaseUrl);
  const password = decodeURIComponent(new URL(opts.databaseUrl).password);
  const deadline = Date.now() + opts.connectTimeoutMs;
  const client = await connectUntil(opts.databaseUrl, deadline, target, password);
  try {
    await migrateLocked(client, opts.migrationsDir, opts.logger);
  } finally {
    await client.end();
  }
  const pool = new pg.Pool({
    connectionString: opts.databaseUrl,
    max: opts.poolSize,
    // A request waits at most this long for a connection (also when the server accepts and never answers).
    connectionTimeoutMillis: Math.min(opts.connectTimeoutMs, opts.statementTimeoutMs),
    // The server cancels a statement after statement_timeout (SQLSTATE 57014); a server that
    // stopped answering is given up one second later by the client itself.
    statement_timeout: opts.statementTimeoutMs,
    query_timeout: opts.statementTimeoutMs + 1_000,
  });
  const clients = new Set<pg.PoolClient>();
  pool.on('connect', (c) => clients.add(c));
  pool.on('remove', (c) => clients.delete(c));
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', (err) => opts.logger.warn({ err: describeError(err), target: target.label }, 'store: idle Postgres connection failed'));
  const db = drizzle({ client: pool, schema });
  opts.logger.info({ target: target.label, poolSize: opts.poolSize, statementTimeoutMs: opts.statementTimeoutMs }, 'store: Postgres ready, migrations applied');
  return {
    kind: 'postgres',
    db: db satisfies Db,
    async ping() {
      try {
        await db.execute(sql`select 1`);
      } catch (err) {
        throw unavailable(target, password, err);
      }
    },
    close: closeOnce(() => endPool(pool, clients, opts.statementTimeoutMs + 2_000, opts.logger)),
  };
}
