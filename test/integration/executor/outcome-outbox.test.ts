import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiApp } from '../../../services/api/app.ts';
import { type Bus, createMemoryBus } from '../../../services/bus/index.ts';
import { decodeOutcome, type OutcomeEvent } from '../../../services/bus/messages.ts';
import type { Component } from '../../../services/core/component.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { createTelemetry, type Telemetry } from '../../../services/core/telemetry.ts';
import { createExecutor, createOutcomeOutbox } from '../../../services/executor/index.ts';
import { type ExecutionRow, executions } from '../../../services/store/index.ts';
import { anomaly, type Harness, openHarness, publishAnomalies, type StepTarget, startStepTarget, until } from './harness.ts';

describe('outcome outbox: outcomes the bus refused are republished once it is back', () => {
  let h: Harness;
  let app: ApiApp;
  let target: StepTarget;
  let liveBus: Bus | undefined;
  const executors: Component[] = [];
  const tuning = { pollMs: 100, leaseMs: 2_000, outboxSweepMs: 100, outboxGraceMs: 300 };

  beforeAll(async () => {
    h = await openHarness();
    app = await h.app();
    target = await startStepTarget();
  });
  afterAll(async () => {
    for (const e of executors) await e.stop();
    await liveBus?.close();
    await target?.close();
    await h?.close();
  });

  const startExecutor = async (bus: Bus, telemetry: Telemetry) => {
    const e = createExecutor({ bus, store: h.store, logger: silentLogger(), telemetry, topics: h.topics, options: tuning }, h.config);
    executors.push(e);
    await e.start();
    return e;
  };
  const rowOf = async (episodeId: string): Promise<ExecutionRow | undefined> =>
    (await h.store.db.select().from(executions).where(eq(executions.episodeId, episodeId)))[0];
  const create = async (spec: Record<string, unknown>) => {
    const r = await app.inject({ method: 'POST', url: '/api/v1/playbooks', payload: { guardrails: { cooldownSeconds: 0, maxConcurrent: 10 }, ...spec } });
    expect(r.statusCode, r.body).toBe(201);
  };

  it('an execution that finishes while the bus is down, and a rejection made then, reach the outcomes topic after the outage', async () => {
    const firstTelemetry = createTelemetry();
    const first = await startExecutor(h.bus, firstTelemetry);
    await create({
      name: 'held',
      mode: 'auto',
      match: { service: 'held' },
      steps: [{ id: 'act', type: 'http', http: { method: 'POST', url: `${target.url}/hold` } }],
    });
    await create({
      name: 'asked',
      mode: 'suggest',
      match: { service: 'asked' },
      steps: [{ id: 'act', type: 'http', http: { method: 'POST', url: `${target.url}/asked` } }],
    });
    target.stall.add('/hold');
    await publishAnomalies(h.bus, h.topics.anomalies, [
      anomaly({ service: 'held', episodeId: 'held-1', kind: 'latency' }),
      anomaly({ service: 'asked', episodeId: 'asked-1' }),
    ]);
    await target.waitFor((r) => r.path === '/hold', 1);
    const asked = await until('the suggestion awaiting approval', async () => (await rowOf('asked-1'))?.status === 'awaiting_approval' && rowOf('asked-1'));
    // Its awaiting_approval outcome went out while the bus was up.
    expect(await until('awaiting_approval marked published', async () => (await rowOf('asked-1'))?.outcomePublished && true)).toBe(true);

    // Outage: the bus refuses everything. The held step finishes, and a human rejects the suggestion.
    await h.bus.close();
    target.release();
    const reject = await app.inject({ method: 'POST', url: `/api/v1/executions/${asked!.id}/reject`, payload: { note: 'outage' } });
    expect(reject.statusCode, reject.body).toBe(200);
    await until('the inline publication to give up', async () => (firstTelemetry.snapshot()['zeroops.executor.outcome_publish_failures'] ?? 0) >= 1);
    const held = (await rowOf('held-1'))!;
    expect(held).toMatchObject({ status: 'succeeded', outcome: 'not_resolved', outcomePublished: false });
    expect(await rowOf('asked-1')).toMatchObject({ status: 'cancelled', outcome: 'skipped', outcomePublished: false });
    // The first executor's sweeps keep failing against the closed bus; nothing is marked published.
    await until('a failed sweep', async () => (firstTelemetry.snapshot()['zeroops.executor.outcome_sweep_failures'] ?? 0) >= 1);
    await first.stop();
    expect((await rowOf('held-1'))?.outcomePublished).toBe(false);

    // The bus is back (a new in-process bus: the embedded mode after a restart); a consumer of outcomes is listening.
    liveBus = createMemoryBus({ partitions: 2 });
    await liveBus.connect();
    const received: OutcomeEvent[] = [];
    await liveBus.subscribe({
      groupId: 'trainer-like',
      topics: [h.topics.outcomes],
      eachBatch: async (rs) => void received.push(...rs.map((r) => decodeOutcome(r.value))),
    });
    await startExecutor(liveBus, createTelemetry());
    await until('both outcomes republished', async () => received.length >= 2);
    const byId = new Map(received.map((o) => [o.executionId, o]));
    expect(byId.get(held.id)).toMatchObject({ outcome: 'not_resolved', service: 'held', episodeId: 'held-1', anomalyKind: 'latency', reason: held.reason });
    expect(byId.get(asked!.id)).toMatchObject({ outcome: 'skipped', service: 'asked', anomalyKind: 'errors' });
    expect(byId.get(asked!.id)?.reason).toContain('rejected by');
    // The outbox marks a row after the bus took its outcome, so the consumer may see it first: wait for the mark.
    expect(await until('held-1 marked published', async () => (await rowOf('held-1'))?.outcomePublished && true)).toBe(true);
    expect(await until('asked-1 marked published', async () => (await rowOf('asked-1'))?.outcomePublished && true)).toBe(true);

    // Marked: a further sweep has nothing left to send.
    const probe = createOutcomeOutbox({
      db: h.store.db,
      bus: liveBus,
      topic: h.topics.outcomes,
      logger: silentLogger(),
      telemetry: createTelemetry(),
      graceMs: 0,
    });
    expect(await probe.sweep()).toBe(0);
    expect(received.filter((o) => o.executionId === held.id)).toHaveLength(1);
  });

  it('a newer outcome written after a publication stays unpublished until it is sent itself', async () => {
    const bus = createMemoryBus({ partitions: 1 });
    await bus.connect();
    const got: OutcomeEvent[] = [];
    await bus.subscribe({ groupId: 'g', topics: [h.topics.outcomes], eachBatch: async (rs) => void got.push(...rs.map((r) => decodeOutcome(r.value))) });
    const outbox = createOutcomeOutbox({ db: h.store.db, bus, topic: h.topics.outcomes, logger: silentLogger(), telemetry: createTelemetry(), graceMs: 0 });
    const before = (await rowOf('held-1'))!;
    // The row moves on (another outcome) between reading it and marking the old one published.
    await h.store.db.update(executions).set({ outcome: 'resolved', reason: 'closed later', outcomePublished: false }).where(eq(executions.id, before.id));
    await outbox.publish(before, 'latency');
    expect((await rowOf('held-1'))?.outcomePublished).toBe(false);
    expect(await outbox.sweep()).toBeGreaterThanOrEqual(1);
    expect(await rowOf('held-1')).toMatchObject({ outcome: 'resolved', outcomePublished: true });
    await until('both events delivered', async () => got.filter((o) => o.executionId === before.id).length >= 2);
    expect(got.filter((o) => o.executionId === before.id).map((o) => o.outcome)).toEqual(['not_resolved', 'resolved']);
    await bus.close();
  });
});
