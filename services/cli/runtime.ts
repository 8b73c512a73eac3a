import { mkdirSync } from 'node:fs';
import { createApiServer, type HealthServer, startHealthServer } from '../api/index.ts';
import { createTokenRegistry, type TokenRegistry } from '../auth/index.ts';
import type { Bus } from '../bus/bus.ts';
import { createBus, ensureCatalogTopics } from '../bus/index.ts';
import { topicNames } from '../bus/topics.ts';
import { traceBus } from '../bus/traced-bus.ts';
import { createCollector } from '../collector/index.ts';
import { type Component, startAll, stopAll } from '../core/component.ts';
import {
  API_CONFIG_KEYS,
  BUS_CONFIG_KEYS,
  COLLECTOR_CONFIG_KEYS,
  configFor,
  DETECTOR_CONFIG_KEYS,
  EXECUTOR_CONFIG_KEYS,
  TRAINER_CONFIG_KEYS,
} from '../core/component-config.ts';
import type { Config } from '../core/config.ts';
import { settlesWithin, withDeadline } from '../core/deadline.ts';
import { describeError, RetryableError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { createProcessReadiness, type ProcessReadiness } from '../core/readiness.ts';
import { createTelemetry, startSelfTelemetry, type Telemetry } from '../core/telemetry.ts';
import { createDetector } from '../detector/index.ts';
import { createExecutor } from '../executor/index.ts';
import { createRetentionJob, createStore, type Store } from '../store/index.ts';
import { createTrainer } from '../trainer/index.ts';

/** The services one process can run. */
export const SERVICE_NAMES = ['collector', 'detector', 'executor', 'trainer', 'api'] as const;
/** One of {@link SERVICE_NAMES}. */
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** A running zeroops process: its services, addresses and a graceful stop. */
export interface Runtime {
  config: Config;
  bus: Bus;
  store: Store;
  telemetry: Telemetry;
  components: Component[];
  /** Serving once every component started; draining from the first moment of {@link Runtime.stop}. */
  readiness: ProcessReadiness;
  /** Base URLs of what listens (`api`, `otlpHttp`, `otlpGrpc`), for the services that run. */
  addresses: Partial<Record<'api' | 'otlpHttp' | 'otlpGrpc' | 'health', string>>;
  /** Stops intake, drains, commits, closes pools (idempotent). */
  stop(): Promise<void>;
}

function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  return withDeadline(ms, () => p, { onTimeout: () => new RetryableError('ZEROOPS_STARTUP_TIMEOUT', `${what} did not answer within ${ms} ms`) });
}

/** Awaits `p` for at most `ms` (at least 100 ms); past that, logs and resolves `undefined` (the work goes on unawaited). */
async function boundedStep<T>(p: Promise<T>, ms: number, what: string, logger: Logger): Promise<T | undefined> {
  let value: T | undefined;
  const settled = p.then(
    (v) => {
      value = v;
    },
    (err: unknown) => {
      logger.error({ err: describeError(err) }, `shutdown: ${what} failed`);
    },
  );
  if (await settlesWithin(Math.max(100, ms), settled)) return value;
  logger.warn({ ms: Math.round(ms) }, `shutdown: ${what} did not finish in time; going on`);
  return undefined;
}

/** Connects the bus and opens the store, both within `margin` ms; on failure closes what opened (and the telemetry) and throws. */
async function connectBusAndStore(config: Config, logger: Logger, bus: Bus, telemetry: Telemetry): Promise<Store> {
  const margin = config.connectTimeoutMs + 5_000;
  let store: Store | undefined;
  try {
    const busReady = within(
      margin,
      `Kafka at ${config.kafkaBrokers.join(',')} (KAFKA_BROKERS)`,
      bus.connect().then(() => ensureCatalogTopics(bus, config)),
    );
    const storeReady = within(
      margin,
      'the database (DATABASE_URL)',
      createStore({
        databaseUrl: config.databaseUrl,
        dataDir: config.dataDir,
        poolSize: config.databasePool,
        connectTimeoutMs: config.connectTimeoutMs,
        statementTimeoutMs: config.databaseStatementTimeoutMs,
        logger,
      }),
    );
    const [busResult, storeResult] = await Promise.allSettled([busReady, storeReady]);
    if (storeResult.status === 'fulfilled') store = storeResult.value;
    if (busResult.status === 'rejected') throw busResult.reason;
    if (storeResult.status === 'rejected') throw storeResult.reason;
  } catch (err) {
    await bus.close().catch((e) => logger.warn({ err: describeError(e) }, 'closing the bus after a failed start'));
    await store?.close().catch((e) => logger.warn({ err: describeError(e) }, 'closing the store after a failed start'));
    await telemetry.shutdown();
    throw err;
  }
  return store as Store;
}

/** What {@link startRuntime} runs: its components in start order, and the parts it addresses by name. */
interface Assembly {
  base: { bus: Bus; store: Store; logger: Logger; telemetry: Telemetry; topics: ReturnType<typeof topicNames> };
  components: Component[];
  readiness: ProcessReadiness;
  tokens: TokenRegistry;
  api: ReturnType<typeof createApiServer> | undefined;
  collector: ReturnType<typeof createCollector> | undefined;
}

/** Creates (without starting) the components of the services in `which`. */
function assemble(config: Config, base: Assembly['base'], which: readonly ServiceName[]): Assembly {
  const { bus, store: s, logger, telemetry, topics } = base;
  const components: Component[] = [];
  // Reads `components` at every report, so it sees the ones pushed below.
  const readiness = createProcessReadiness(components);
  // One registry per process: a token created or revoked through this process's API counts at once for its collector too.
  const tokens = createTokenRegistry({
    db: s.db,
    apiTokens: config.apiTokens,
    ingestTokens: config.ingestTokens,
    refreshMs: config.tokenCacheSeconds * 1000,
    logger,
  });
  // Each factory gets only the settings it declares (services/core/component-config.ts).
  const apiConfig = configFor(config, API_CONFIG_KEYS);
  const api = which.includes('api') ? createApiServer({ ...base, config: apiConfig, tokens, readiness }, apiConfig) : undefined;
  const collector = which.includes('collector')
    ? createCollector({ bus, logger, telemetry, topics, store: s, tokens }, configFor(config, COLLECTOR_CONFIG_KEYS))
    : undefined;
  // Consumers start before intake so that nothing waits on an absent group.
  if (which.includes('executor')) components.push(createExecutor(base, configFor(config, EXECUTOR_CONFIG_KEYS)));
  if (which.includes('detector')) components.push(createDetector(base, configFor(config, DETECTOR_CONFIG_KEYS)));
  if (which.includes('trainer')) components.push(createTrainer(base, configFor(config, TRAINER_CONFIG_KEYS)));
  // The api process (every `zeroops start`, and `zeroops api` in production) keeps data within its retention.
  if (api) components.push(createRetentionJob(base, config));
  if (api) components.push(api);
  if (collector) components.push(collector);
  return { base, components, readiness, tokens, api, collector };
}

/** Starts the health server (when needed), the token registry and the components; on failure closes the bus and the store and throws. */
async function startAssembly(config: Config, a: Assembly): Promise<HealthServer | undefined> {
  const { bus, store: s, logger } = a.base;
  // A process without the API may still be probed: /healthz and /readyz on their own port, from before the components start.
  let health: HealthServer | undefined;
  try {
    if (!a.api && config.healthPort >= 0) health = await startHealthServer({ bus, store: s, readiness: a.readiness, logger }, config.host, config.healthPort);
    await a.tokens.start();
    await startAll(a.components);
  } catch (err) {
    await health?.stop().catch(() => undefined);
    await bus.close().catch(() => undefined);
    await s.close().catch(() => undefined);
    throw err;
  }
  return health;
}

/** Base URLs of what listens once `a` started. */
function addressesOf(a: Assembly, health: HealthServer | undefined): Runtime['addresses'] {
  const addresses: Runtime['addresses'] = {};
  if (a.api) addresses.api = a.api.address();
  if (health) addresses.health = health.address();
  if (a.collector) {
    addresses.otlpHttp = a.collector.httpAddress();
    addresses.otlpGrpc = a.collector.grpcAddress();
  }
  return addresses;
}

/** The graceful, idempotent {@link Runtime.stop} of a started assembly. */
function stopperOf(config: Config, a: Assembly, health: HealthServer | undefined): () => Promise<void> {
  const { bus, store: s, logger, telemetry } = a.base;
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (async () => {
      a.readiness.draining();
      // Self-telemetry flushes first, while this process's own collector still listens.
      await telemetry.shutdown().catch((e) => logger.warn({ err: describeError(e) }, 'flushing self-telemetry failed'));
      // Intake first (collector), then the consumers, then the api, then the pools; each part
      // within its share of the deadline, so that a hung database or broker cannot hold the exit.
      const deadline = Date.now() + config.shutdownTimeoutMs;
      const reserve = Math.min(3_000, Math.floor(config.shutdownTimeoutMs / 4));
      // The api stops last, so that /readyz answers 503 through the drain.
      const order = [...a.components].reverse().sort((x, y) => Number(x === a.api) - Number(y === a.api));
      const stopped = stopAll(order, config.shutdownTimeoutMs - reserve);
      const errors = await boundedStep(stopped, deadline - reserve - Date.now(), 'stopping the services', logger);
      for (const e of errors ?? []) logger.error({ err: describeError(e) }, 'error while stopping');
      a.tokens.stop();
      await boundedStep(bus.close(), (deadline - Date.now()) / 2, 'closing the bus', logger);
      await boundedStep(s.close(), deadline - Date.now(), 'closing the store', logger);
      await health?.stop();
    })();
    return stopping;
  };
}

/**
 * Starts the given services in this process over one bus and one store:
 * Kafka and Postgres when configured, else the in-process bus and PGlite.
 * Fails within `config.connectTimeoutMs` (plus a margin) naming what could
 * not be reached.
 */
export async function startRuntime(config: Config, logger: Logger, which: readonly ServiceName[]): Promise<Runtime> {
  const telemetry = createTelemetry();
  const topics = topicNames(config.topicPrefix);
  if (!config.databaseUrl) mkdirSync(config.dataDir, { recursive: true });
  const bus = traceBus(createBus(configFor(config, BUS_CONFIG_KEYS), logger, telemetry), telemetry);
  const s = await connectBusAndStore(config, logger, bus, telemetry);
  const a = assemble(config, { bus, store: s, logger, telemetry, topics }, which);
  const health = await startAssembly(config, a);
  const addresses = addressesOf(a, health);
  // Self-telemetry starts last so that it can default to this process's own collector.
  await startSelfTelemetry(telemetry, {
    mode: config.telemetry,
    endpoint: config.telemetryEndpoint || addresses.otlpHttp || `http://127.0.0.1:${config.otlpHttpPort}`,
    intervalMs: config.telemetryIntervalMs,
    logger,
  });
  // Only now does every listener accept and every consumer belong to its group: /readyz may answer 200.
  a.readiness.serving();
  const stop = stopperOf(config, a, health);
  return { config, bus, store: s, telemetry, components: a.components, readiness: a.readiness, addresses, stop };
}
