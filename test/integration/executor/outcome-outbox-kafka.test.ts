/**
 * The outcome outbox over a real Kafka broker that stops and comes back
 * while the executor keeps running: an execution that finishes during the
 * outage cannot publish its outcome, keeps it in Postgres marked
 * unpublished, and the executor's own sweep publishes it once the broker is
 * back, without a restart. Runs a PRIVATE broker (ports 19392/19393, its own
 * run dir) so the shared broker on 19092 is never stopped.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ApiApp } from '../../../services/api/app.ts';
import type { Bus } from '../../../services/bus/bus.ts';
import { createKafkaBus } from '../../../services/bus/kafka-bus.ts';
import { decodeOutcome, type OutcomeEvent } from '../../../services/bus/messages.ts';
import type { Component } from '../../../services/core/component.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { createTelemetry } from '../../../services/core/telemetry.ts';
import { createExecutor } from '../../../services/executor/index.ts';
import { type ExecutionRow, executions } from '../../../services/store/index.ts';
import { uniqueName } from '../../helpers/kafka.ts';
import { privateKafka } from '../../helpers/private-kafka.ts';
import { anomaly, type Harness, openHarness, publishAnomalies, type StepTarget, startStepTarget, until } from './harness.ts';

const PORT = 19392;
const broker = privateKafka(PORT, 'outbox');

let h: Harness;
let app: ApiApp;
let target: StepTarget;
let bus: Bus;
let reader: Bus;
let executor: Component | undefined;

function kafkaBus(name: string): Bus {
  return createKafkaBus({
    brokers: [broker.broker],
    clientId: uniqueName(name),
    logger: silentLogger(),
    connectTimeoutMs: 20_000,
    defaultPartitions: 2,
    consumer: { restartBackoffMs: 200, maxRestartBackoffMs: 2_000 },
  });
}

beforeAll(async () => {
  await broker.up();
  h = await openHarness();
  app = await h.app();
  target = await startStepTarget();
  bus = kafkaBus('outbox-executor');
  reader = kafkaBus('outbox-reader');
  await bus.connect();
  await reader.connect();
  await bus.ensureTopics([h.topics.anomalies, h.topics.outcomes].map((name) => ({ name, partitions: 2 })));
}, 180_000);

afterAll(async () => {
  await executor?.stop();
  await bus?.close();
  await reader?.close();
  await target?.close();
  await h?.close();
  await broker.destroy();
}, 120_000);

const rowOf = async (episodeId: string): Promise<ExecutionRow | undefined> =>
  (await h.store.db.select().from(executions).where(eq(executions.episodeId, episodeId)))[0];

it('an outcome decided while the broker is down reaches the outcomes topic after it returns, from the same executor', async () => {
  const telemetry = createTelemetry();
  executor = createExecutor(
    {
      bus,
      store: h.store,
      logger: silentLogger(),
      telemetry,
      topics: h.topics,
      options: { pollMs: 100, leaseMs: 2_000, outboxSweepMs: 200, outboxGraceMs: 300 },
    },
    h.config,
  );
  await executor.start();
  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/playbooks',
    payload: {
      name: 'held',
      mode: 'auto',
      guardrails: { cooldownSeconds: 0 },
      match: { service: 'held' },
      steps: [{ id: 'act', type: 'http', http: { method: 'POST', url: `${target.url}/hold` } }],
    },
  });
  expect(created.statusCode, created.body).toBe(201);
  target.stall.add('/hold');
  await publishAnomalies(bus, h.topics.anomalies, [anomaly({ service: 'held', episodeId: 'held-kafka', kind: 'latency' })]);
  await target.waitFor((r) => r.path === '/hold', 1);

  // Outage: the broker stops while the step is in flight; the step then finishes.
  await broker.down();
  target.release();
  await until('the execution to finish', async () => (await rowOf('held-kafka'))?.status === 'succeeded', 60_000);
  await until('a failed publication or sweep', async () => {
    const s = telemetry.snapshot();
    return (s['zeroops.executor.outcome_publish_failures'] ?? 0) + (s['zeroops.executor.outcome_sweep_failures'] ?? 0) >= 1;
  });
  const held = (await rowOf('held-kafka')) as ExecutionRow;
  expect(held).toMatchObject({ outcome: 'not_resolved', outcomePublished: false });

  // The broker returns (same data); the running executor's sweep publishes what it kept.
  await broker.up();
  const received: OutcomeEvent[] = [];
  await reader.subscribe({
    groupId: uniqueName('trainer-like'),
    topics: [h.topics.outcomes],
    eachBatch: async (rs) => void received.push(...rs.map((r) => decodeOutcome(r.value))),
  });
  await until('the outcome on the topic', async () => received.some((o) => o.executionId === held.id), 90_000);
  expect(received.find((o) => o.executionId === held.id)).toMatchObject({
    outcome: 'not_resolved',
    service: 'held',
    episodeId: 'held-kafka',
    anomalyKind: 'latency',
  });
  await until('the row marked published', async () => (await rowOf('held-kafka'))?.outcomePublished === true, 30_000);
}, 300_000);
