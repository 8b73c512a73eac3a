/**
 * The executor's stop(deadline) returns by its deadline while it is busy,
 * on both buses: with a step in flight (an HTTP target that never answers)
 * and with a decision in flight (blocked on a table lock held by the test,
 * so the subscription's batch cannot finish). A stopped executor gives its
 * lease back, so another worker can resume the execution.
 */
import { eq } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus } from '../../../services/bus/bus.ts';
import { topicNames } from '../../../services/bus/index.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { createTelemetry } from '../../../services/core/telemetry.ts';
import { createExecutor, type ExecutorOptions } from '../../../services/executor/index.ts';
import { assertPlaybook, createPlaybook } from '../../../services/playbooks/index.ts';
import { executions } from '../../../services/store/index.ts';
import { connectTestKafkaBus, uniqueName } from '../../helpers/kafka.ts';
import { anomaly, type Harness, openHarness, publishAnomalies, type StepTarget, startStepTarget, until } from './harness.ts';

const DEADLINE_MS = 1_000;
/** Time stop may take past its deadline (timers, event loop on a loaded machine). */
const SLACK_MS = 1_500;

describe.each(['memory', 'kafka'] as const)('executor stop(deadline) while busy (%s bus)', (kind) => {
  let h: Harness;
  let bus: Bus;
  let prefix = '';
  let target: StepTarget;

  beforeAll(async () => {
    target = await startStepTarget();
    // On Kafka: the shared broker, topics and consumer group of this run only.
    prefix = kind === 'kafka' ? `${uniqueName('stop')}.` : '';
    h = await openHarness({ ZEROOPS_TOPIC_PREFIX: prefix });
    bus = kind === 'kafka' ? await connectTestKafkaBus({ defaultPartitions: 2 }) : h.bus;
    const spec = assertPlaybook(
      {
        name: 'hang',
        mode: 'auto',
        match: { service: 'hang-*' },
        guardrails: { cooldownSeconds: 0, maxConcurrent: 10 },
        steps: [{ id: 'call', type: 'http', http: { method: 'POST', url: `${target.url}/hang/{{anomaly.service}}` }, timeoutSeconds: 600 }],
      },
      h.config,
    );
    await createPlaybook(h.store.db, spec, 'test');
  }, 60_000);
  afterAll(async () => {
    await target?.close();
    if (kind === 'kafka') await bus?.close();
    await h?.close();
  });

  const start = async (options: Partial<ExecutorOptions> = {}) => {
    const topics = topicNames(prefix);
    const executor = createExecutor(
      { bus, store: h.store, logger: silentLogger(), telemetry: createTelemetry(), topics, options: { pollMs: 100, leaseMs: 60_000, ...options } },
      h.config,
    );
    await executor.start();
    return { executor, topics };
  };
  const timedStop = async (stop: () => Promise<void>) => {
    const t0 = performance.now();
    await stop();
    return performance.now() - t0;
  };

  it('stop before start and a second stop return at once', async () => {
    const executor = createExecutor({ bus, store: h.store, logger: silentLogger(), telemetry: createTelemetry(), topics: topicNames(prefix) }, h.config);
    expect(await timedStop(() => executor.stop(DEADLINE_MS))).toBeLessThan(SLACK_MS);
    await executor.start();
    await executor.stop(DEADLINE_MS);
    expect(await timedStop(() => executor.stop(DEADLINE_MS))).toBeLessThan(SLACK_MS);
    expect(executor.ready?.()).toBe('stopped');
  }, 60_000);

  it('returns by the deadline while a step waits on a target that never answers, and gives the lease back (it expires at once)', async () => {
    target.stall.add('/hang/');
    const { executor, topics } = await start();
    const a = anomaly({ service: 'hang-step', episodeId: `ep-step-${kind}` });
    await publishAnomalies(bus, topics.anomalies, [a]);
    await target.waitFor((r) => r.path === '/hang/hang-step', 1, 30_000);
    const running = await h.store.db.select().from(executions).where(eq(executions.anomalyId, a.id));
    expect(running[0]?.leaseOwner).toBeTruthy();

    expect(await timedStop(() => executor.stop(DEADLINE_MS))).toBeLessThan(DEADLINE_MS + SLACK_MS);
    const [row] = await h.store.db.select().from(executions).where(eq(executions.anomalyId, a.id));
    expect(row?.status).toBe('running');
    expect(row!.leaseExpiresAt!.getTime()).toBeLessThanOrEqual(Date.now());
    target.stall.clear();
    target.release();
  }, 60_000);

  it('returns by the deadline while a decision is blocked inside the consumed batch', async () => {
    // No poll or sweep after the first ones: the only reader of executions left is the decision.
    const { executor, topics } = await start({ pollMs: 600_000, outboxSweepMs: 600_000 });
    // Its own connections: the executor's pool is blocked behind the lock.
    const holder = new pg.Client({ connectionString: h.db.url });
    const watcher = new pg.Client({ connectionString: h.db.url });
    await holder.connect();
    await watcher.connect();
    const count = async (where: string) =>
      (
        await watcher.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity a WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND ${where}`,
        )
      ).rows[0]!.n;
    try {
      await until('the first poll and sweep to finish', async () => (await count(`a.state = 'active'`)) === 0);
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE executions IN ACCESS EXCLUSIVE MODE');
      await publishAnomalies(bus, topics.anomalies, [anomaly({ service: 'hang-decide', episodeId: `ep-decide-${kind}` })]);
      await until('a decision waiting on the executions lock', async () => (await count(`a.wait_event_type = 'Lock'`)) > 0);
      expect(await timedStop(() => executor.stop(DEADLINE_MS))).toBeLessThan(DEADLINE_MS + SLACK_MS);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
      await watcher.end();
    }
  }, 60_000);
});
