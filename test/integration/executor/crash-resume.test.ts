import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaBus, topicNames } from '../../../services/bus/index.ts';
import type { Bus } from '../../../services/bus/bus.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { assertPlaybook, createPlaybook } from '../../../services/executor/index.ts';
import { createStore, executions, executionSteps, type Store } from '../../../services/store/index.ts';
import { assertKafkaReachable, testKafkaBrokers, uniqueName } from '../../helpers/kafka.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.ts';
import { anomaly, publishAnomalies, type StepTarget, startStepTarget, until, upsertIncident } from './harness.ts';
import { type ExecutorProcess, startExecutorProcess } from './processes.ts';

describe('executor process killed with SIGKILL in the middle of a step (Kafka + Postgres)', () => {
  let db: TestDatabase;
  let store: Store;
  let bus: Bus;
  let target: StepTarget;
  const procs: ExecutorProcess[] = [];
  const prefix = `${uniqueName('exec-crash')}.`;
  const topics = topicNames(prefix);
  let env: Record<string, string>;

  beforeAll(async () => {
    await assertKafkaReachable();
    db = await createTestDatabase();
    store = await createStore({ databaseUrl: db.url, dataDir: ':memory:', poolSize: 2, connectTimeoutMs: 5_000, logger: silentLogger() });
    bus = createKafkaBus({ brokers: testKafkaBrokers(), clientId: 'crash-test', logger: silentLogger(), connectTimeoutMs: 10_000, defaultPartitions: 2 });
    await bus.connect();
    await bus.ensureTopics([{ name: topics.anomalies, partitions: 2 }, { name: topics.outcomes, partitions: 2 }]);
    target = await startStepTarget();
    env = { DATABASE_URL: db.url, KAFKA_BROKERS: testKafkaBrokers().join(','), ZEROOPS_TOPIC_PREFIX: prefix, ZEROOPS_TOPIC_PARTITIONS: '2', ZEROOPS_HTTP_ALLOWLIST: '127.0.0.1', ZEROOPS_DATABASE_POOL: '3' };
  });
  afterAll(async () => {
    for (const p of procs) await p.stop();
    await target?.close();
    await bus?.close();
    await store?.close();
    await db?.drop();
  });

  it('a restarted executor resumes the execution; finished steps are not repeated and each key is applied once', async () => {
    const spec = assertPlaybook(
      {
        name: 'three-steps', mode: 'auto', match: { service: 'payments' }, guardrails: { cooldownSeconds: 0 },
        steps: ['one', 'two', 'three'].map((id) => ({ id, type: 'http', timeoutSeconds: 60, http: { method: 'POST', url: `${target.url}/${id}` } })),
      },
      { secrets: {}, commandAllowlist: [] },
    );
    const pb = await createPlaybook(store.db, spec, 'test');
    await upsertIncident(store, 'ep-crash', { service: 'payments' });
    target.stall.add('/two');
    procs.push(await startExecutorProcess(env, 'first'));
    await publishAnomalies(bus, topics.anomalies, [anomaly({ service: 'payments', episodeId: 'ep-crash' })]);

    await target.waitFor((r) => r.path === '/two', 1, 30_000);
    await procs[0]!.kill9();
    target.stall.clear();
    const [before] = await store.db.select().from(executions).where(eq(executions.episodeId, 'ep-crash'));
    expect(before).toMatchObject({ status: 'running', leaseOwner: 'first', finishedAt: null });

    procs.push(await startExecutorProcess(env, 'second'));
    const done = await until('the execution to finish', async () => (await store.db.select().from(executions).where(eq(executions.id, before!.id))).find((e) => e.finishedAt), 30_000);
    expect(done).toMatchObject({ status: 'succeeded', playbookId: pb.id, leaseOwner: null });

    const count = (p: string) => target.received.filter((r) => r.path === p).length;
    expect(count('/one')).toBe(1);
    expect(count('/three')).toBe(1);
    // The interrupted step is re-sent once, under the same idempotency key, so the target applies it once.
    const twos = target.received.filter((r) => r.path === '/two');
    expect(twos).toHaveLength(2);
    expect(new Set(twos.map((r) => r.headers['idempotency-key']))).toEqual(new Set([`ep-crash:${pb.id}@1:two`]));
    expect([...target.applied.values()]).toEqual([1, 1, 1]);
    const steps = await store.db.select().from(executionSteps).where(eq(executionSteps.executionId, before!.id));
    expect(steps.map((s) => [s.name, s.status, s.attempt])).toEqual([['one', 'succeeded', 1], ['two', 'succeeded', 2], ['three', 'succeeded', 1]]);
  });
});
