/**
 * The two environments every component's lifecycle test runs in: the
 * in-process bus with PGlite, and the test Kafka broker with a fresh Postgres
 * database. Each opened environment has its own topics (prefix) and database.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bus } from '../../../services/bus/bus.ts';
import { createMemoryBus } from '../../../services/bus/memory-bus.ts';
import { topicNames } from '../../../services/bus/topics.ts';
import { type Config, loadConfig, silentLogger } from '../../../services/core/index.ts';
import { createStore, type Store } from '../../../services/store/index.ts';
import { connectTestKafkaBus, testKafkaBrokers, uniqueName } from '../../helpers/kafka.ts';
import { createTestDatabase } from '../../helpers/postgres.ts';

/** An opened environment: a connected bus, a migrated store and a configuration naming them. */
export interface LifecycleEnv {
  bus: Bus;
  store: Store;
  config: Config;
  topics: ReturnType<typeof topicNames>;
  close(): Promise<void>;
}

/** One of the two environments. */
export interface EnvKind {
  name: string;
  open(): Promise<LifecycleEnv>;
}

/** Settings every lifecycle test uses: free ports, short windows, the step target on loopback allowed. */
const SETTINGS = {
  ZEROOPS_API_PORT: '0',
  ZEROOPS_OTLP_HTTP_PORT: '0',
  ZEROOPS_OTLP_GRPC_PORT: '0',
  ZEROOPS_TOPIC_PARTITIONS: '2',
  ZEROOPS_DATABASE_POOL: '4',
  ZEROOPS_HTTP_ALLOWLIST: '127.0.0.1',
  ZEROOPS_DETECTOR_NEURAL: 'false',
  ZEROOPS_WINDOW_SECONDS: '1',
  ZEROOPS_LATENESS_SECONDS: '0',
};

const storeBase = { poolSize: 4, connectTimeoutMs: 10_000, logger: silentLogger() };

/** The memory bus + PGlite, and Kafka + Postgres. */
export const ENVIRONMENTS: EnvKind[] = [
  {
    name: 'memory bus + PGlite',
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'zeroops-lifecycle-'));
      const store = await createStore({ ...storeBase, databaseUrl: '', dataDir: dir });
      const bus = createMemoryBus({ partitions: 2 });
      await bus.connect();
      const config = loadConfig({ ...SETTINGS, ZEROOPS_DATA_DIR: dir });
      const close = async () => {
        await bus.close();
        await store.close();
        await rm(dir, { recursive: true, force: true });
      };
      return { bus, store, config, topics: topicNames(''), close };
    },
  },
  {
    name: 'Kafka + Postgres',
    async open() {
      const db = await createTestDatabase();
      const store = await createStore({ ...storeBase, databaseUrl: db.url, dataDir: ':memory:' });
      const bus = await connectTestKafkaBus({ defaultPartitions: 2 });
      const prefix = `${uniqueName('lifecycle')}.`;
      const config = loadConfig({ ...SETTINGS, DATABASE_URL: db.url, KAFKA_BROKERS: testKafkaBrokers().join(','), ZEROOPS_TOPIC_PREFIX: prefix });
      const close = async () => {
        await bus.close();
        await store.close();
        await db.drop();
      };
      return { bus, store, config, topics: topicNames(prefix), close };
    },
  },
];
