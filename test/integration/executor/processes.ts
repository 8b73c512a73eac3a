import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Bus } from '../../../services/bus/bus.ts';
import { createKafkaBus, topicNames } from '../../../services/bus/index.ts';
import type { TopicId } from '../../../services/bus/topics.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { createStore, type Store } from '../../../services/store/index.ts';
import { assertKafkaReachable, testKafkaBrokers, uniqueName } from '../../helpers/kafka.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.ts';
import { type StepTarget, startStepTarget } from './harness.ts';

const script = fileURLToPath(new URL('./run-executor.ts', import.meta.url));

/** A running executor process. */
export interface ExecutorProcess {
  child: ChildProcess;
  /** Everything it wrote to stderr/stdout (for failure messages). */
  output(): string;
  /** SIGKILL, no clean-up at all; resolves when it is gone. */
  kill9(): Promise<void>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
}

/** Starts `run-executor.ts` with `env` added to this process's environment (and `args` to its arguments); resolves once it prints `ready`. */
export async function startExecutorProcess(env: Record<string, string>, worker: string, leaseMs = 2000, args: string[] = []): Promise<ExecutorProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--lease-ms', String(leaseMs), '--poll-ms', '100', '--worker', worker, ...args], {
    env: { ...process.env, ZEROOPS_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`executor ${worker} not ready within 60 s:\n${out}`)), 60_000);
    const check = () => {
      if (out.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`executor ${worker} exited with ${code} before ready:\n${out}`));
    });
  });
  return {
    child,
    output: () => out,
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** What the multi-process executor tests share: a fresh database, Kafka topics, a step target and the processes started. */
export interface ProcessHarness {
  db: TestDatabase;
  store: Store;
  bus: Bus;
  target: StepTarget;
  topics: Record<TopicId, string>;
  /** Environment for {@link startExecutorProcess}: this database, broker, topic prefix and partitions. */
  env: Record<string, string>;
  /** Processes to stop at the end. */
  procs: ExecutorProcess[];
  close(): Promise<void>;
}

/** Opens a {@link ProcessHarness} with topics of `partitions` partitions under a unique prefix. */
export async function openProcessHarness(name: string, partitions: number, dbPool: number): Promise<ProcessHarness> {
  await assertKafkaReachable();
  const prefix = `${uniqueName(name)}.`;
  const topics = topicNames(prefix);
  const db = await createTestDatabase();
  const store = await createStore({ databaseUrl: db.url, dataDir: ':memory:', poolSize: 2, connectTimeoutMs: 5_000, logger: silentLogger() });
  const bus = createKafkaBus({ brokers: testKafkaBrokers(), clientId: name, logger: silentLogger(), connectTimeoutMs: 10_000, defaultPartitions: partitions });
  await bus.connect();
  await bus.ensureTopics([
    { name: topics.anomalies, partitions },
    { name: topics.outcomes, partitions },
  ]);
  const target = await startStepTarget();
  const env = {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: testKafkaBrokers().join(','),
    ZEROOPS_TOPIC_PREFIX: prefix,
    ZEROOPS_TOPIC_PARTITIONS: String(partitions),
    ZEROOPS_HTTP_ALLOWLIST: '127.0.0.1',
    ZEROOPS_DATABASE_POOL: String(dbPool),
  };
  const procs: ExecutorProcess[] = [];
  return {
    db,
    store,
    bus,
    target,
    topics,
    env,
    procs,
    async close() {
      for (const p of procs) await p.stop();
      await target.close();
      await bus.close();
      await store.close();
      await db.drop();
    },
  };
}
