/**
 * Deferrable playbooks on both stores (PGlite with the memory bus, Postgres
 * with Kafka): the executor schedules the execution into the quietest
 * stretch of the service's load forecast within maxDelay, shows the time and
 * reason in the API, runs it at once when the incident worsens or an
 * operator asks, and never runs a cancelled one.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Component } from '../../../services/core/component.ts';
import { loadConfig } from '../../../services/core/config.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { createTelemetry } from '../../../services/core/telemetry.ts';
import { createExecutor } from '../../../services/executor/index.ts';
import { assertPlaybook, createPlaybook } from '../../../services/playbooks/index.ts';
import { executions, playbooks, rollups, services } from '../../../services/store/index.ts';
import { anomaly, publishAnomalies, type StepTarget, startStepTarget, until, upsertIncident } from '../executor/harness.ts';
import { type ReportsHarness, SETUPS, startHarness } from '../reports/harness.ts';

const HOUR = 3_600_000;

describe.each(SETUPS)('deferrable playbooks on $name', (setup) => {
  let h: ReportsHarness;
  let target: StepTarget;
  let executor: Component;
  const now = Date.now();
  // The load's trough is 30 minutes from now (and every hour from there).
  const trough = now + 30 * 60_000;
  const rate = (ms: number) => 100 - 60 * Math.cos((2 * Math.PI * (ms - trough)) / HOUR);

  beforeAll(async () => {
    h = await startHarness(setup);
    target = await startStepTarget();
    await h.store.db.insert(services).values([{ name: 'leaky' }, { name: 'fresh' }, { name: 'staged' }]);
    const rows = [];
    for (let m = 8 * 60; m >= 1; m--) {
      const end = Math.floor((now - m * 60_000) / 60_000) * 60_000;
      for (const service of ['leaky', 'staged']) rows.push({ service, windowEnd: new Date(end), features: { request_rate: rate(end - 30_000) }, score: 0.1 });
    }
    await h.store.db.insert(rollups).values(rows);
    for (const svc of ['leaky', 'fresh']) {
      const spec = assertPlaybook(
        {
          name: `restart-${svc}`,
          mode: 'auto',
          match: { service: svc },
          guardrails: { cooldownSeconds: 0, maxConcurrent: 10 },
          deferrable: { maxDelaySeconds: 3600, durationSeconds: 300 },
          steps: [{ id: 'restart', type: 'http', http: { method: 'POST', url: `${target.url}/restart/{{anomaly.episodeId}}` } }],
        },
        { secrets: {}, commandAllowlist: [], httpAllowlist: ['127.0.0.1'] },
      );
      await createPlaybook(h.store.db, spec, 'test');
    }
    // A playbook whose second step alone is deferrable: the first runs at once, the rest waits for the quiet window.
    const staged = assertPlaybook(
      {
        name: 'drain-then-restart',
        mode: 'auto',
        match: { service: 'staged' },
        guardrails: { cooldownSeconds: 0, maxConcurrent: 10 },
        steps: [
          { id: 'drain', type: 'http', http: { method: 'POST', url: `${target.url}/drain/{{anomaly.episodeId}}` } },
          {
            id: 'restart',
            type: 'http',
            deferrable: { maxDelaySeconds: 3600, durationSeconds: 300, worsenBy: 0.2 },
            http: { method: 'POST', url: `${target.url}/restart/{{anomaly.episodeId}}` },
          },
        ],
      },
      { secrets: {}, commandAllowlist: [], httpAllowlist: ['127.0.0.1'] },
    );
    await createPlaybook(h.store.db, staged, 'test');
    for (const ep of ['ep-1', 'ep-2', 'ep-3', 'ep-7']) await upsertIncident(h.store, ep, { service: 'leaky' });
    for (const ep of ['ep-5', 'ep-6']) await upsertIncident(h.store, ep, { service: 'staged' });
    await upsertIncident(h.store, 'ep-4', { service: 'fresh' });
    const config = loadConfig({ ZEROOPS_HTTP_ALLOWLIST: '127.0.0.1', ZEROOPS_TOPIC_PARTITIONS: '2' });
    executor = createExecutor(
      { bus: h.bus, store: h.store, logger: silentLogger(), telemetry: createTelemetry(), topics: h.topics, options: { pollMs: 100, leaseMs: 2_000 } },
      config,
    );
    await executor.start();
  }, 180_000);
  afterAll(async () => {
    await executor?.stop();
    await target?.close();
    await h?.close();
  });

  const executionOf = (episodeId: string) =>
    until(`the execution of ${episodeId}`, async () => (await h.store.db.select().from(executions).where(eq(executions.episodeId, episodeId)))[0], 30_000);
  const schedule = async (episodeId: string) => {
    await publishAnomalies(h.bus, h.topics.anomalies, [anomaly({ service: 'leaky', episodeId, score: 0.6, severity: 'warning' })]);
    return executionOf(episodeId);
  };

  it('schedules the execution into the forecast trough, shows when and why, and runs it at once when the incident worsens', async () => {
    const row = await schedule('ep-1');
    expect(row.status).toBe('pending');
    const at = row.scheduledFor?.getTime() ?? 0;
    // The quietest 5 minutes within the hour: around the trough (forecast steps are 5 minutes here).
    expect(Math.abs(at + 150_000 - trough)).toBeLessThan(10 * 60_000);
    expect(at).toBeLessThanOrEqual(now + HOUR + 60_000);
    expect(row.scheduleReason).toMatch(/deferred to the quietest 300 s within 3600 s of the load forecast/);
    const api = (await h.app.inject(`/api/v1/executions/${row.id}`)).json();
    expect(api).toMatchObject({ status: 'pending', scheduledFor: row.scheduledFor?.toISOString(), scheduleReason: row.scheduleReason });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(target.received.filter((r) => r.path === '/restart/ep-1')).toHaveLength(0);
    await publishAnomalies(h.bus, h.topics.anomalies, [anomaly({ service: 'leaky', episodeId: 'ep-1', score: 0.95 })]);
    await target.waitFor((r) => r.path === '/restart/ep-1', 1, 30_000);
    const after = await executionOf('ep-1');
    expect(after.scheduleReason).toMatch(/the incident worsened \(score 0.950 against 0.600/);
  });

  it('runs the latest attempt at once when the incident worsens, not an earlier run of the same playbook', async () => {
    // A run that finished without fixing ep-7 and its follow-up (attempt 2), deferred to the trough: both rows stay.
    const [pb] = await h.store.db.select({ id: playbooks.id }).from(playbooks).where(eq(playbooks.name, 'restart-leaky'));
    const base = {
      episodeId: 'ep-7',
      anomalyId: 'an-7',
      service: 'leaky',
      playbookId: pb?.id as string,
      playbookVersion: 1,
      mode: 'auto' as const,
      scoreBefore: 0.6,
    };
    await h.store.db.insert(executions).values([
      { ...base, id: 'ex-ep7', status: 'succeeded', outcome: 'not_resolved', outcomePublished: true, finishedAt: new Date(now - 60_000) },
      { ...base, id: 'ex-ep7~2', attempt: 2, status: 'pending', scheduledFor: new Date(trough), scheduleReason: 'deferred to the trough' },
    ]);
    await publishAnomalies(h.bus, h.topics.anomalies, [anomaly({ service: 'leaky', episodeId: 'ep-7', score: 0.95 })]);
    await target.waitFor((r) => r.path === '/restart/ep-7', 1, 30_000);
    const [followUp] = await h.store.db
      .select()
      .from(executions)
      .where(and(eq(executions.episodeId, 'ep-7'), eq(executions.attempt, 2)));
    expect(followUp?.scheduleReason).toMatch(/the incident worsened \(score 0.950 against 0.600/);
    expect((await h.store.db.select().from(executions).where(eq(executions.episodeId, 'ep-7'))).map((r) => r.id).sort()).toEqual(['ex-ep7', 'ex-ep7~2']);
  });

  it('runs a deferred execution now at an operator request, and never runs a cancelled one', async () => {
    const two = await schedule('ep-2');
    const three = await schedule('ep-3');
    expect(two.scheduledFor).not.toBeNull();
    const ran = await h.app.inject({ method: 'POST', url: `/api/v1/executions/${two.id}/run-now` });
    expect(ran.statusCode).toBe(200);
    expect(ran.json().scheduleReason).toMatch(/^run now by /);
    await target.waitFor((r) => r.path === '/restart/ep-2', 1, 30_000);
    const cancelled = await h.app.inject({ method: 'POST', url: `/api/v1/executions/${three.id}/cancel` });
    expect(cancelled.json().status).toBe('cancelled');
    const again = await h.app.inject({ method: 'POST', url: `/api/v1/executions/${three.id}/run-now` });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('ZEROOPS_CONFLICT');
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/executions/nope/run-now' })).statusCode).toBe(404);
    await new Promise((r) => setTimeout(r, 500));
    expect(target.received.filter((r) => r.path === '/restart/ep-3')).toHaveLength(0);
  });

  it('runs at once, saying why, when the service has no forecast yet', async () => {
    await publishAnomalies(h.bus, h.topics.anomalies, [anomaly({ service: 'fresh', episodeId: 'ep-4', score: 0.6 })]);
    await target.waitFor((r) => r.path === '/restart/ep-4', 1, 30_000);
    const row = await executionOf('ep-4');
    expect(row.scheduledFor).toBeNull();
    expect(row.scheduleReason).toMatch(/load forecast is not ready/);
  });

  it('holds a deferrable step (and the rest) for the quiet window after running the steps before it, and runs it at once on run-now or a worse incident', async () => {
    await publishAnomalies(h.bus, h.topics.anomalies, [anomaly({ service: 'staged', episodeId: 'ep-5', score: 0.6, severity: 'warning' })]);
    await target.waitFor((r) => r.path === '/drain/ep-5', 1, 30_000);
    const parked = await until(
      'the execution parked at its deferrable step',
      async () => {
        const row = (await h.store.db.select().from(executions).where(eq(executions.episodeId, 'ep-5')))[0];
        return row?.status === 'pending' && row.scheduledFor ? row : undefined;
      },
      30_000,
    );
    const at = parked.scheduledFor?.getTime() ?? 0;
    expect(Math.abs(at + 150_000 - trough)).toBeLessThan(10 * 60_000);
    expect(at).toBeLessThanOrEqual(Date.now() + HOUR + 60_000);
    expect(parked.scheduleReason).toMatch(/^step restart: deferred to the quietest 300 s within 3600 s of the load forecast/);
    const detail = (await h.app.inject(`/api/v1/executions/${parked.id}`)).json();
    expect(detail.steps.map((st: { name: string; status: string }) => `${st.name}=${st.status}`)).toEqual(['drain=succeeded', 'defer:restart=pending']);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(target.received.filter((r) => r.path === '/restart/ep-5')).toHaveLength(0);
    const ran = await h.app.inject({ method: 'POST', url: `/api/v1/executions/${parked.id}/run-now` });
    expect(ran.statusCode).toBe(200);
    await target.waitFor((r) => r.path === '/restart/ep-5', 1, 30_000);
    const done = await until(
      'the execution to finish',
      async () => {
        const row = (await h.store.db.select().from(executions).where(eq(executions.id, parked.id)))[0];
        return row?.status === 'succeeded' ? row : undefined;
      },
      30_000,
    );
    expect(done.finishedAt).not.toBeNull();
    // The first step ran once: resuming after the wait did not send it again.
    expect(target.received.filter((r) => r.path === '/drain/ep-5')).toHaveLength(1);

    await publishAnomalies(h.bus, h.topics.anomalies, [anomaly({ service: 'staged', episodeId: 'ep-6', score: 0.5, severity: 'warning' })]);
    await target.waitFor((r) => r.path === '/drain/ep-6', 1, 30_000);
    await until(
      'the second execution parked',
      async () => (await h.store.db.select().from(executions).where(eq(executions.episodeId, 'ep-6')))[0]?.status === 'pending' || undefined,
      30_000,
    );
    // Not worse by the step's worsenBy (0.2): still waiting; then worse: runs now.
    await publishAnomalies(h.bus, h.topics.anomalies, [anomaly({ service: 'staged', episodeId: 'ep-6', score: 0.6 })]);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(target.received.filter((r) => r.path === '/restart/ep-6')).toHaveLength(0);
    await publishAnomalies(h.bus, h.topics.anomalies, [anomaly({ service: 'staged', episodeId: 'ep-6', score: 0.9 })]);
    await target.waitFor((r) => r.path === '/restart/ep-6', 1, 30_000);
  });
});
