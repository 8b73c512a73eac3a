import { and, eq } from 'drizzle-orm';
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
  const rows = () => h.store.db.select().from(executions).where(eq(executions.episodeId, episodeId));
  const finishedRun = (n: number) =>
    until(`run ${n} finished with its outcome published`, async () => {
      const [r] = await rows();
      return r?.finishedAt && r.outcomePublished && target.received.length === n ? r : undefined;
    });
  /** Gives the executor time to decide an event that must not start anything (the in-process bus delivers at once). */
  const decided = () => new Promise((r) => setTimeout(r, 1_500));

  it('runs the playbook again once the incident shows a new clear symptom, not on the same evidence', async () => {
    await createPlaybook(
      h.store.db,
      assertPlaybook(
        {
          name: `latency-${storeKind}`,
          mode: 'auto',
          match: { service, kinds: ['latency'], minSeverity: 'warning' },
          guardrails: { cooldownSeconds: 0, maxConcurrent: 10 },
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
    expect(trail?.details).toMatchObject({ followUp: second.id, why: 'new clear symptom: demand', execution: { id: first.id, outcome: 'not_resolved' } });

    // The surge once more: already seen by the follow-up, so no third run.
    await emit({ evidence: surge });
    await decided();
    expect(target.received).toHaveLength(2);
    expect((await rows()).map((r) => r.id)).toEqual([second.id]);
  }, 60_000);
});
