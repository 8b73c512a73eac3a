import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaBus, topicNames } from '../../../services/bus/index.ts';
import type { Bus } from '../../../services/bus/bus.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { assertPlaybook, createPlaybook } from '../../../services/executor/index.ts';
import { createStore, executions, executionSteps, type Store } from '../../../services/store/index.ts';
import { assertKafkaReachable, testKafkaBrokers, uniqueName } from '../../helpers/kafka.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.ts';
import { anomaly, publishAnomalies, type StepTarget, startStepTarget, until } from './harness.ts';
import { type ExecutorProcess, startExecutorProcess } from './processes.ts';

describe('two executor processes on one Kafka topic and one Postgres', () => {
  let db: TestDatabase;
  let store: Store;
  let bus: Bus;
  let target: StepTarget;
  const procs: ExecutorProcess[] = [];
  const prefix = `${uniqueName('exec-replicas')}.`;
  const topics = topicNames(prefix);

  beforeAll(async () => {
    await assertKafkaReachable();
    db = await createTestDatabase();
    store = await createStore({ databaseUrl: db.url, dataDir: ':memory:', poolSize: 2, connectTimeoutMs: 5_000, logger: silentLogger() });
    bus = createKafkaBus({ brokers: testKafkaBrokers(), clientId: 'replica-test', logger: silentLogger(), connectTimeoutMs: 10_000, defaultPartitions: 4 });
    await bus.connect();
    await bus.ensureTopics([{ name: topics.anomalies, partitions: 4 }, { name: topics.outcomes, partitions: 4 }]);
    target = await startStepTarget();
  });
  afterAll(async () => {
    for (const p of procs) await p.stop();
    await target?.close();
    await bus?.close();
    await store?.close();
    await db?.drop();
  });

  it('a burst of 200 anomalies yields one execution per (episode, playbook) and each http step lands once', async () => {
    const mk = (name: string, priority: number, service: string) =>
      assertPlaybook(
        { name, mode: 'auto', priority, match: { service }, guardrails: { cooldownSeconds: 0, maxConcurrent: 1000 }, steps: [{ id: 'act', type: 'http', http: { method: 'POST', url: `${target.url}/${name}/{{anomaly.episodeId}}` } }] },
        { secrets: {}, commandAllowlist: [] },
      );
    await createPlaybook(store.db, mk('svc-specific', 10, 'svc-[0-4]'), 'test');
    await createPlaybook(store.db, mk('catch-all', 0, 'svc-*'), 'test');
    const env = { DATABASE_URL: db.url, KAFKA_BROKERS: testKafkaBrokers().join(','), ZEROOPS_TOPIC_PREFIX: prefix, ZEROOPS_TOPIC_PARTITIONS: '4', ZEROOPS_HTTP_ALLOWLIST: '127.0.0.1', ZEROOPS_DATABASE_POOL: '4' };
    procs.push(await startExecutorProcess(env, 'replica-a', 3000));
    // 50 episodes over 10 services, 4 events each (open, then ongoing), interleaved.
    const events = Array.from({ length: 200 }, (_, i) => {
      const ep = i % 50;
      return anomaly({ service: `svc-${ep % 10}`, episodeId: `ep-${ep}`, episodeState: i < 50 ? 'open' : 'ongoing' });
    });
    await publishAnomalies(bus, topics.anomalies, events.slice(0, 100));
    // The second replica joins mid-burst: partitions move and records may be delivered twice.
    procs.push(await startExecutorProcess(env, 'replica-b', 3000));
    await publishAnomalies(bus, topics.anomalies, events.slice(100));

    const rows = await until('50 finished executions', async () => {
      const all = await store.db.select().from(executions);
      return all.length >= 50 && all.every((e) => e.finishedAt) ? all : undefined;
    }, 60_000);
    expect(rows).toHaveLength(50);
    expect(new Set(rows.map((r) => r.episodeId)).size).toBe(50);
    for (const r of rows) expect(r.playbookId).toBe(rows.find((x) => x.service === r.service)!.playbookId);
    expect(rows.every((r) => r.status === 'succeeded')).toBe(true);
    const steps = await store.db.select().from(executionSteps);
    expect(steps).toHaveLength(50);
    expect(steps.every((s) => s.attempt === 1)).toBe(true);
    // Give any duplicate a chance to show up before counting what landed.
    await new Promise((r) => setTimeout(r, 1000));
    expect(target.received).toHaveLength(50);
    expect(new Set(target.received.map((r) => r.path)).size).toBe(50);
    const specific = target.received.filter((r) => r.path.startsWith('/svc-specific/')).length;
    expect(specific).toBe(25);
  });
});
