import { and, desc, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnomalyEvent } from '../../../services/bus/messages.ts';
import type { Component } from '../../../services/core/component.ts';
import { assertPlaybook, createPlaybook } from '../../../services/playbooks/index.ts';
import { anomalies, auditLog, executions } from '../../../services/store/index.ts';
import {
  anomaly,
  type Harness,
  type HarnessStore,
  openHarness,
  publishAnomalies,
  type StepTarget,
  startExecutor,
  startStepTarget,
  until,
  upsertIncident,
} from './harness.ts';

/**
 * An incident that a playbook handled without fixing it, and that later
 * shows something new (the run-17 surge on sessions-db: a latency incident,
 * already scaled, restarted and escalated, then four times the usual
 * requests), gets a follow-up run of that playbook; the same evidence again
 * does not (a playbook that did nothing is not re-run on what it already saw).
 * The follow-up is a row of its own (attempt n): the earlier execution stays
 * readable through the API with its outcome, and guardrail counts and KPIs
 * count both runs.
 */
describe.each<HarnessStore>(['pglite', 'postgres'])('follow-up executions of a changed incident (%s)', (storeKind) => {
  let h: Harness;
  let target: StepTarget;
  let executor: Component;
  beforeAll(async () => {
    h = await openHarness({}, {}, storeKind);
    target = await startStepTarget();
    executor = await startExecutor(h);
  });
  afterAll(async () => {
    await executor?.stop();
    await target?.close();
    await h?.close();
  });

  const service = 'sessions-db';
  const episodeId = `ep-follow-${storeKind}`;
  let windowEnd = Date.now() - 60_000;
  /** Stores the anomaly row (as the detector does before it publishes), then publishes the event. */
  const emit = async (over: Partial<AnomalyEvent>) => {
    windowEnd = Math.max(windowEnd + 1, Date.now());
    const a = anomaly({ service, episodeId, severity: 'warning', kind: 'latency', windowStartUnixMs: windowEnd - 2_000, windowEndUnixMs: windowEnd, ...over });
    await h.store.db.insert(anomalies).values({
      id: a.id,
      service: a.service,
      episodeId: a.episodeId,
      windowStart: new Date(a.windowStartUnixMs),
      windowEnd: new Date(a.windowEndUnixMs),
      score: a.score,
      likelihood: a.likelihood,
      severity: a.severity,
      kind: a.kind,
      evidence: a.evidence,
      rootCauses: a.rootCauses,
      episodeState: a.episodeState,
      detectedAt: new Date(a.detectedUnixMs),
    });
    await publishAnomalies(h.bus, h.topics.anomalies, [a]);
  };
  const slow = [{ feature: 'latency_p95', observed: 90, expected: 30, deviation: 8 }];
  const surge = [{ feature: 'request_rate', observed: 48, expected: 12, deviation: 14 }, ...slow];
  /** The executions of the incident, latest attempt first. */
  const rows = () => h.store.db.select().from(executions).where(eq(executions.episodeId, episodeId)).orderBy(desc(executions.attempt));
  const finishedRun = (n: number) =>
    until(`run ${n} finished with its outcome published`, async () => {
      const [r] = await rows();
      return r?.finishedAt && r.outcomePublished && target.received.length === n ? r : undefined;
    });
  /** Gives the executor time to decide an event that must not start anything (the in-process bus delivers at once). */
  const decided = () => new Promise((r) => setTimeout(r, 1_500));

  it('runs the playbook again once the incident shows a new clear symptom, not on the same evidence, keeping the earlier run', async () => {
    await createPlaybook(
      h.store.db,
      assertPlaybook(
        {
          name: `latency-${storeKind}`,
          mode: 'auto',
          match: { service, kinds: ['latency'], minSeverity: 'warning' },
          // Three runs an hour: the first run, its follow-up and one more (see the end).
          guardrails: { cooldownSeconds: 0, maxConcurrent: 10, maxRunsPerHour: 3 },
          steps: [
            { id: 'scale-out', type: 'http', http: { method: 'POST', url: `${target.url}/scale` } },
            { id: 'check', type: 'verify', verify: { deadlineSeconds: 0.3, pollSeconds: 0.1 } },
          ],
        },
        { secrets: {}, commandAllowlist: [], httpAllowlist: ['127.0.0.1'] },
      ),
      'test',
    );
    await upsertIncident(h.store, episodeId, { service, state: 'open' });

    // A slow window: the playbook runs, the incident stays open past its verify deadline.
    await emit({ evidence: slow });
    const first = await finishedRun(1);
    expect(first.outcome).toBe('not_resolved');

    // The same slowness again, after the run: nothing new, no second run.
    await emit({ evidence: slow });
    await decided();
    expect(target.received).toHaveLength(1);
    expect((await rows()).map((r) => r.id)).toEqual([first.id]);

    // Four times the usual requests show in the same open incident: a follow-up runs.
    await emit({ evidence: surge });
    const second = await finishedRun(2);
    expect(second.id).toBe(`${first.id}~2`);
    expect(target.received[1]?.headers['idempotency-key']).toMatch(/:scale-out~2$/);
    const [trail] = await h.store.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.subjectId, first.id), eq(auditLog.action, 'execution.follow_up')));
    // The record is the link alone (the earlier run keeps its own row and steps): no copy of them.
    expect(trail?.details).toEqual({ previous: first.id, followUp: second.id, attempt: 2, why: 'new clear symptom: demand' });
    // The follow-up is attempt 2 beside the first run, which is left exactly as it was.
    expect((await rows()).map((r) => [r.id, r.attempt])).toEqual([
      [second.id, 2],
      [first.id, 0],
    ]);
    expect((await rows())[1]).toEqual(first);

    // The API still serves the earlier execution, with its outcome and steps, and lists both runs.
    const app = await h.app();
    const old = await app.inject({ method: 'GET', url: `/api/v1/executions/${encodeURIComponent(first.id)}` });
    expect(old.statusCode).toBe(200);
    const oldBody = old.json() as { id: string; attempt: number; outcome: string; steps: { name: string; idempotencyKey: string }[] };
    expect(oldBody).toMatchObject({ id: first.id, attempt: 0, outcome: 'not_resolved' });
    expect(oldBody.steps.find((st) => st.name === 'scale-out')?.idempotencyKey).toMatch(/:scale-out$/);
    const next = (await app.inject({ method: 'GET', url: `/api/v1/executions/${encodeURIComponent(second.id)}` })).json() as { attempt: number };
    expect(next.attempt).toBe(2);
    const list = (await app.inject({ method: 'GET', url: `/api/v1/executions?incident=${encodeURIComponent(episodeId)}` })).json() as {
      items: { id: string; attempt: number }[];
    };
    expect(list.items.map((e) => [e.id, e.attempt]).sort()).toEqual([
      [first.id, 0],
      [second.id, 2],
    ]);
    const report = await app.inject({ method: 'GET', url: `/api/v1/incidents/${encodeURIComponent(episodeId)}/report` });
    expect(report.statusCode).toBe(200);
    expect((report.json() as { executions: { id: string; outcome: string }[] }).executions.map((e) => [e.id, e.outcome])).toEqual([
      [first.id, 'not_resolved'],
      [second.id, 'not_resolved'],
    ]);
    // The KPIs count both runs as actions of the playbook.
    const kpis = (await app.inject({ method: 'GET', url: `/api/v1/kpis?service=${service}` })).json() as {
      totals: { actionsByPlaybook: Record<string, number> };
    };
    expect(kpis.totals.actionsByPlaybook[`latency-${storeKind}`]).toBe(2);

    // The surge once more: already seen by the follow-up (the latest attempt), so no third run and no second follow-up record.
    await emit({ evidence: surge });
    await decided();
    expect(target.received).toHaveLength(2);
    expect((await rows()).map((r) => r.id)).toEqual([second.id, first.id]);
    const followUps = await h.store.db
      .select()
      .from(auditLog)
      .where(and(inArray(auditLog.subjectId, [first.id, second.id]), eq(auditLog.action, 'execution.follow_up')));
    expect(followUps).toHaveLength(1);

    // Two more incidents of the service: max_runs_per_hour (3) counts the first run and its follow-up, so the first of
    // them runs (the third run of the hour) and the second is skipped.
    const third = `${episodeId}-third`;
    await upsertIncident(h.store, third, { service, state: 'open' });
    await emit({ episodeId: third, evidence: slow });
    await until('the third run of the hour finished', async () => {
      const [r] = await h.store.db.select().from(executions).where(eq(executions.episodeId, third));
      return r?.finishedAt && target.received.length === 3 ? r : undefined;
    });
    const fourth = `${episodeId}-fourth`;
    await upsertIncident(h.store, fourth, { service, state: 'open' });
    await emit({ episodeId: fourth, evidence: slow });
    const skipped = await until('the fourth incident decided', async () => {
      const [r] = await h.store.db.select().from(executions).where(eq(executions.episodeId, fourth));
      return r;
    });
    expect(skipped.status).toBe('skipped');
    expect(skipped.reason).toMatch(/^guardrail max_runs_per_hour: 3 run\(s\) of this playbook in the last hour, limit 3$/);
    expect(target.received).toHaveLength(3);
  }, 60_000);
});
