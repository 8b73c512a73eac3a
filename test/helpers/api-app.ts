/**
 * The one way tests build the API: `buildTestApp()` opens a store (PGlite in
 * memory, a fresh Postgres database, or one the test owns), a bus, a config
 * from environment-style settings, and the real app (`buildApiApp`), and
 * closes what it opened with `close()`. Requests go through `app.inject()`
 * or, after `app.listen()`, a real socket.
 */
import { type ApiApp, buildApiApp, type RouteModule } from '../../services/api/index.ts';
import type { TokenRegistry } from '../../services/auth/index.ts';
import { type Bus, createMemoryBus, topicNames } from '../../services/bus/index.ts';
import { type Config, createTelemetry, loadConfig, silentLogger, type Telemetry, type TlsMaterial } from '../../services/core/index.ts';
import { createStore, MEMORY_DATA_DIR, type Store } from '../../services/store/index.ts';
import { createTestDatabase } from './postgres.ts';

/** What {@link buildTestApp} builds on; everything optional. */
export interface TestAppOptions {
  /** `pglite` (in memory; the default), `postgres` (a fresh database on the test server, dropped by close()), or an open store the test owns. */
  store?: 'pglite' | 'postgres' | Store;
  /** Settings as environment variables (ZEROOPS_API_TOKENS, ...), read by loadConfig. Ignored when `config` is given. */
  env?: Record<string, string>;
  /** Config values set directly (loadConfig's overrides). Ignored when `config` is given. */
  overrides?: Partial<Config>;
  /** A ready config (e.g. shared with another component under test). */
  config?: Config;
  /** The bus (default: a connected in-memory bus, closed by close()). */
  bus?: Bus;
  telemetry?: Telemetry;
  /** A token registry shared with another component (default: the app's own). */
  tokens?: TokenRegistry;
  /** Topic prefix (default none). */
  topicPrefix?: string;
  /** Route modules beyond the API's own. */
  extra?: RouteModule[];
  tls?: TlsMaterial;
}

/** A built API and what it runs on. */
export interface TestApp {
  app: ApiApp;
  store: Store;
  bus: Bus;
  config: Config;
  telemetry: Telemetry;
  topics: ReturnType<typeof topicNames>;
  /** Closes the app, then the bus and store (and drops the database) if buildTestApp opened them. Idempotent. */
  close(): Promise<void>;
}

async function openStore(kind: 'pglite' | 'postgres', cleanups: (() => Promise<void>)[]): Promise<Store> {
  const logger = silentLogger();
  if (kind === 'pglite') return createStore({ databaseUrl: '', dataDir: MEMORY_DATA_DIR, poolSize: 1, connectTimeoutMs: 10_000, logger });
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  return createStore({ databaseUrl: db.url, dataDir: ':memory:', poolSize: 4, connectTimeoutMs: 5_000, logger });
}

/** Builds the API for a test; see {@link TestAppOptions}. */
export async function buildTestApp(o: TestAppOptions = {}): Promise<TestApp> {
  const cleanups: (() => Promise<void>)[] = [];
  const config = o.config ?? loadConfig({ ...o.env }, o.overrides ?? {});
  const store = typeof o.store === 'object' ? o.store : await openStore(o.store ?? 'pglite', cleanups);
  if (typeof o.store !== 'object') cleanups.unshift(() => store.close());
  let bus = o.bus;
  if (!bus) {
    const own = createMemoryBus();
    await own.connect();
    cleanups.unshift(() => own.close());
    bus = own;
  }
  const telemetry = o.telemetry ?? createTelemetry();
  const topics = topicNames(o.topicPrefix ?? '');
  let app: ApiApp;
  try {
    app = await buildApiApp({ store, bus, config, logger: silentLogger(), telemetry, topics, ...(o.tokens ? { tokens: o.tokens } : {}) }, o.extra, {
      tls: o.tls,
    });
  } catch (err) {
    for (const c of cleanups) await c();
    throw err;
  }
  let closed = false;
  return {
    app,
    store,
    bus,
    config,
    telemetry,
    topics,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      for (const c of cleanups) await c();
    },
  };
}
