import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiApp } from '../../../services/api/app.ts';
import type { OutcomeEvent } from '../../../services/bus/messages.ts';
import type { Component } from '../../../services/core/component.ts';
import { executionSteps, executions, incidents } from '../../../services/store/index.ts';
import {
  anomaly,
  collectOutcomes,
  type Harness,
  openHarness,
  publishAnomalies,
  type StepTarget,
  startExecutor,
  startStepTarget,
  until,
  upsertIncident,
} from './harness.ts';

describe('outcomes, approvals, retries, undo and escalation', () => {
  let h: Harness;
  let app: ApiApp;
  let target: StepTarget;
  let executor: Component;
  let outcomes: OutcomeEvent[] = [];
  beforeAll(async () => {
    h = await openHarness();
    app = await h.app();
    target = await startStepTarget();
    executor = await startExecutor(h);
    outcomes = await collectOutcomes(h, 'outcomes-test');
  });
  afterAll(async () => {
    await executor?.stop();
    await target?.close();
    await h?.close();
  });

  const http = (id: string, extra: Record<string, unknown> = {}) => ({ id, type: 'http', http: { method: 'POST', url: `${target.url}/${id}` }, ...extra });
  const create = async (spec: Record<string, unknown>) => {
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/playbooks',
      payload: { mode: 'auto', guardrails: { cooldownSeconds: 0, maxConcurrent: 10 }, ...spec },
    });
    expect(r.statusCode, r.body).toBe(201);
    return r.json() as { id: string };
  };
  const finished = (episodeId: string) =>
    until(`execution of ${episodeId} finished`, async () =>
      (await h.store.db.select().from(executions).where(eq(executions.episodeId, episodeId))).find((e) => e.finishedAt),
    );
  const stepsOf = async (id: string) =>
    (await h.store.db.select().from(executionSteps).where(eq(executionSteps.executionId, id))).sort((a, b) => a.stepIndex - b.stepIndex);

  it('suggest mode waits for approval; approve runs it, reject skips it', async () => {
    await create({ name: 'suggested', mode: 'suggest', match: { service: 'sugg' }, steps: [http('sugg-act')] });
    await publishAnomalies(h.bus, h.topics.anomalies, [anomaly({ service: 'sugg', episodeId: 'sugg-1' }), anomaly({ service: 'sugg', episodeId: 'sugg-2' })]);
    const waiting = await until('two executions awaiting approval', async () => {
      const r = (await app.inject({ method: 'GET', url: '/api/v1/executions?service=sugg&status=awaiting_approval' })).json() as {
        items: { id: string; episodeId: string }[];
      };
      return r.items.length === 2 ? r.items : undefined;
    });
    expect(outcomes.filter((o) => o.service === 'sugg').map((o) => o.outcome)).toEqual(['awaiting_approval', 'awaiting_approval']);
    expect(target.received).toHaveLength(0);
    const one = waiting.find((e) => e.episodeId === 'sugg-1')!;
    const two = waiting.find((e) => e.episodeId === 'sugg-2')!;
    expect((await app.inject({ method: 'POST', url: `/api/v1/executions/${one.id}/approve` })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: `/api/v1/executions/${two.id}/reject`, payload: { note: 'not now' } })).json()).toMatchObject({
      status: 'cancelled',
      outcome: 'skipped',
    });
    expect((await app.inject({ method: 'POST', url: `/api/v1/executions/${two.id}/approve` })).statusCode).toBe(409);
    expect(await finished('sugg-1')).toMatchObject({ status: 'succeeded' });
    expect(target.received.map((r) => r.path)).toEqual(['/sugg-act']);
    const audit = ((await app.inject({ method: 'GET', url: `/api/v1/executions/${two.id}` })).json() as { audit: { action: string }[] }).audit.map(
      (a) => a.action,
    );
    expect(audit).toEqual(['execution.decide', 'execution.reject']);
  });

  it('retries retryable failures per the step policy, recording each attempt', async () => {
    await create({ name: 'retrying', match: { service: 'retry' }, steps: [http('flaky', { retry: { maxAttempts: 3, initialDelayMs: 10 } })] });
    target.failNext = 2;
    await publishAnomalies(h.bus, h.topics.anomalies, [anomaly({ service: 'retry', episodeId: 'retry-1' })]);
    const row = await finished('retry-1');
    expect(row.status).toBe('succeeded');
    const [s] = await stepsOf(row.id);
    expect([s?.status, s?.attempt]).toEqual(['succeeded', 3]);
    expect(target.received.filter((r) => r.path === '/flaky')).toHaveLength(3);
  });

  it('made_worse: the verify deadline passes with a higher score, and the undo runs', async () => {
    await create({
      name: 'worse',
      match: { service: 'worse' },
      steps: [
        http('scale-up', { undo: { type: 'http', http: { method: 'POST', url: `${target.url}/scale-down` } } }),
        { id: 'verify', type: 'verify', verify: { deadlineSeconds: 0.5, pollSeconds: 0.1 } },
      ],
    });
    await upsertIncident(h.store, 'worse-1', { state: 'open', lastScore: 0.9, service: 'worse' });
    await publishAnomalies(h.bus, h.topics.anomalies, [anomaly({ service: 'worse', episodeId: 'worse-1', score: 0.7 })]);
    const row = await finished('worse-1');
    expect(row).toMatchObject({ status: 'failed', outcome: 'made_worse', scoreBefore: 0.7, scoreAfter: 0.9 });
    expect(row.reason).toContain('1 step(s) undone');
    expect((await stepsOf(row.id)).map((s) => [s.name, s.status])).toEqual([
      ['scale-up', 'succeeded'],
      ['verify', 'failed'],
      ['undo:scale-up', 'succeeded'],
    ]);
    expect(target.received.map((r) => r.path).filter((p) => p.startsWith('/scale'))).toEqual(['/scale-up', '/scale-down']);
    expect(await until('outcome', async () => outcomes.find((o) => o.executionId === row.id))).toMatchObject({ outcome: 'made_worse' });
  });

  it('not resolved with an undo gives undone; a failed step escalates through onFailure', async () => {
    await create({
      name: 'undoer',
      match: { service: 'undo' },
      steps: [
        http('tweak', { undo: { type: 'http', http: { method: 'POST', url: `${target.url}/untweak` } } }),
        { id: 'verify', type: 'verify', verify: { deadlineSeconds: 0.3, pollSeconds: 0.1 } },
      ],
    });
    await upsertIncident(h.store, 'undo-1', { state: 'open', lastScore: 0.5, service: 'undo' });
    await publishAnomalies(h.bus, h.topics.anomalies, [anomaly({ service: 'undo', episodeId: 'undo-1', score: 0.8 })]);
    expect(await finished('undo-1')).toMatchObject({ outcome: 'undone' });

    await create({
      name: 'escalating',
      match: { service: 'esc' },
      steps: [{ id: 'broken', type: 'http', http: { method: 'POST', url: `${target.url}/broken`, expectStatus: [204] } }],
      onFailure: [{ type: 'notify', notify: { kind: 'pagerduty', url: `${target.url}/pager`, text: '{{anomaly.service}} needs a human', routingKey: 'rk' } }],
    });
    await publishAnomalies(h.bus, h.topics.anomalies, [anomaly({ service: 'esc', episodeId: 'esc-1' })]);
    const row = await finished('esc-1');
    expect(row).toMatchObject({ status: 'failed', outcome: 'escalated' });
    expect(row.reason).toContain('step broken failed');
    const page = target.received.find((r) => r.path === '/pager')!;
    expect(JSON.parse(page.body)).toMatchObject({
      routing_key: 'rk',
      event_action: 'trigger',
      payload: { summary: 'esc needs a human', severity: 'critical' },
    });
  });

  it('cancel stops a running execution before its next step', async () => {
    target.stall.add('/first');
    await create({ name: 'cancellable', match: { service: 'cancel' }, steps: [http('first'), http('second')] });
    await publishAnomalies(h.bus, h.topics.anomalies, [anomaly({ service: 'cancel', episodeId: 'cancel-1' })]);
    await target.waitFor((r) => r.path === '/first', 1);
    const [row] = await h.store.db.select().from(executions).where(eq(executions.episodeId, 'cancel-1'));
    expect((await app.inject({ method: 'POST', url: `/api/v1/executions/${row!.id}/cancel` })).json()).toMatchObject({ status: 'cancelled' });
    target.release();
    await new Promise((r) => setTimeout(r, 500));
    expect(target.received.filter((r) => r.path === '/second')).toHaveLength(0);
    expect((await h.store.db.select().from(executions).where(eq(executions.id, row!.id)))[0]?.status).toBe('cancelled');
  });

  it('who resolved it: an approved fix is human and needed a human; a rejected suggestion on an incident that closed by itself is self', async () => {
    const incidentOf = async (id: string) => (await h.store.db.select().from(incidents).where(eq(incidents.id, id)))[0];
    await create({
      name: 'approved-fix',
      mode: 'suggest',
      match: { service: 'human' },
      steps: [http('human-fix'), { id: 'verify', type: 'verify', verify: { deadlineSeconds: 20, pollSeconds: 0.1 } }],
    });
    await upsertIncident(h.store, 'human-1', { state: 'open', service: 'human' });
    await upsertIncident(h.store, 'human-2', { state: 'open', service: 'human' });
    await publishAnomalies(h.bus, h.topics.anomalies, [
      anomaly({ service: 'human', episodeId: 'human-1' }),
      anomaly({ service: 'human', episodeId: 'human-2' }),
    ]);
    const waiting = await until('two suggestions', async () => {
      const rows = await h.store.db.select().from(executions).where(eq(executions.service, 'human'));
      return rows.filter((r) => r.status === 'awaiting_approval').length === 2 ? rows : undefined;
    });
    const one = waiting.find((e) => e.episodeId === 'human-1')!;
    const two = waiting.find((e) => e.episodeId === 'human-2')!;
    expect((await incidentOf('human-1'))?.neededHuman).toBe(false);
    expect((await app.inject({ method: 'POST', url: `/api/v1/executions/${one.id}/approve` })).statusCode).toBe(200);
    await target.waitFor((r) => r.path === '/human-fix', 1);
    // The fix worked: the detector closes the episode (the sink writes no resolver while an execution is under way).
    await h.store.db.update(incidents).set({ state: 'closed', closedAt: new Date() }).where(eq(incidents.id, 'human-1'));
    expect(await finished('human-1')).toMatchObject({ outcome: 'resolved' });
    expect(await incidentOf('human-1')).toMatchObject({ resolvedBy: 'human', neededHuman: true });

    // The other one closed by itself while its suggestion waited; rejecting it leaves it resolved by nobody: self.
    await h.store.db.update(incidents).set({ state: 'closed', closedAt: new Date() }).where(eq(incidents.id, 'human-2'));
    expect((await app.inject({ method: 'POST', url: `/api/v1/executions/${two.id}/reject`, payload: { note: 'gone' } })).statusCode).toBe(200);
    expect(await incidentOf('human-2')).toMatchObject({ resolvedBy: 'self', neededHuman: true });
    const listed = (await app.inject({ method: 'GET', url: '/api/v1/incidents?service=human' })).json() as { items: Array<Record<string, unknown>> };
    expect(listed.items.find((i) => i.id === 'human-1')).toMatchObject({ resolvedBy: 'human', neededHuman: true });
  });
});
