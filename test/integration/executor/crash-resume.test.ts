import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getExecutionDetail } from '../../../services/executor/index.ts';
import { assertPlaybook, createPlaybook } from '../../../services/playbooks/index.ts';
import { executionSteps, executions } from '../../../services/store/index.ts';
import { anomaly, publishAnomalies, until, upsertIncident } from './harness.ts';
import { openProcessHarness, type ProcessHarness, startExecutorProcess } from './processes.ts';

describe('executor process killed with SIGKILL in the middle of a step (Kafka + Postgres)', () => {
  let h: ProcessHarness;

  beforeAll(async () => {
    h = await openProcessHarness('exec-crash', 2, 3);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('a restarted executor resumes the execution; finished steps are not repeated and each key is applied once', async () => {
    const spec = assertPlaybook(
      {
        name: 'three-steps',
        mode: 'auto',
        match: { service: 'payments' },
        guardrails: { cooldownSeconds: 0 },
        steps: ['one', 'two', 'three'].map((id) => ({ id, type: 'http', timeoutSeconds: 60, http: { method: 'POST', url: `${h.target.url}/${id}` } })),
      },
      { secrets: {}, commandAllowlist: [], httpAllowlist: ['127.0.0.1'] },
    );
    const pb = await createPlaybook(h.store.db, spec, 'test');
    await upsertIncident(h.store, 'ep-crash', { service: 'payments' });
    h.target.stall.add('/two');
    h.procs.push(await startExecutorProcess(h.env, 'first'));
    await publishAnomalies(h.bus, h.topics.anomalies, [anomaly({ service: 'payments', episodeId: 'ep-crash' })]);

    await h.target.waitFor((r) => r.path === '/two', 1, 30_000);
    await h.procs[0]!.kill9();
    h.target.stall.clear();
    const [before] = await h.store.db.select().from(executions).where(eq(executions.episodeId, 'ep-crash'));
    expect(before).toMatchObject({ status: 'running', leaseOwner: 'first', finishedAt: null });

    h.procs.push(await startExecutorProcess(h.env, 'second'));
    const done = await until(
      'the execution to finish',
      async () => (await h.store.db.select().from(executions).where(eq(executions.id, before!.id))).find((e) => e.finishedAt),
      90_000,
    );
    expect(done).toMatchObject({ status: 'succeeded', playbookId: pb.id, leaseOwner: null });

    const count = (p: string) => h.target.received.filter((r) => r.path === p).length;
    expect(count('/one')).toBe(1);
    expect(count('/three')).toBe(1);
    // The interrupted step is re-sent once, under the same idempotency key, so the target applies it once.
    const twos = h.target.received.filter((r) => r.path === '/two');
    expect(twos).toHaveLength(2);
    expect(new Set(twos.map((r) => r.headers['idempotency-key']))).toEqual(new Set([`ep-crash:${pb.id}@1:two`]));
    expect([...h.target.applied.values()]).toEqual([1, 1, 1]);
    const steps = await h.store.db.select().from(executionSteps).where(eq(executionSteps.executionId, before!.id));
    expect(steps.map((s) => [s.name, s.status, s.attempt, s.repeats])).toEqual([
      ['one', 'succeeded', 1, 0],
      ['two', 'succeeded', 2, 1],
      ['three', 'succeeded', 1, 0],
    ]);
    const detail = await getExecutionDetail(h.store.db, before!.id);
    expect(detail).toMatchObject({ repeats: 1, unknownSteps: 0 });
    expect(detail.audit.filter((a) => a.action === 'step.repeat').map((a) => (a.details as { step: string }).step)).toEqual(['two']);
  }, 180_000);

  it('a step that is not safe to repeat is never sent twice: its outcome is unknown and the playbook escalates', async () => {
    // Only the executor this test kills may take the execution: stop the previous test's.
    for (const p of h.procs.splice(0)) await p.stop();
    const spec = assertPlaybook(
      {
        name: 'unsafe-step',
        mode: 'auto',
        match: { service: 'ledger' },
        guardrails: { cooldownSeconds: 0 },
        steps: [
          { id: 'charge', type: 'http', idempotent: false, timeoutSeconds: 60, http: { method: 'POST', url: `${h.target.url}/charge` } },
          { id: 'after', type: 'http', http: { method: 'POST', url: `${h.target.url}/after` } },
        ],
        onFailure: [{ id: 'page', type: 'http', http: { method: 'POST', url: `${h.target.url}/page` } }],
      },
      { secrets: {}, commandAllowlist: [], httpAllowlist: ['127.0.0.1'] },
    );
    await createPlaybook(h.store.db, spec, 'test');
    await upsertIncident(h.store, 'ep-unsafe', { service: 'ledger' });
    h.target.stall.add('/charge');
    const first = await startExecutorProcess(h.env, 'unsafe-1');
    h.procs.push(first);
    await publishAnomalies(h.bus, h.topics.anomalies, [anomaly({ service: 'ledger', episodeId: 'ep-unsafe' })]);
    await h.target.waitFor((r) => r.path === '/charge', 1, 30_000);
    await first.kill9();
    h.target.stall.clear();
    const [before] = await h.store.db.select().from(executions).where(eq(executions.episodeId, 'ep-unsafe'));

    h.procs.push(await startExecutorProcess(h.env, 'unsafe-2'));
    const done = await until(
      'the execution to finish',
      async () => (await h.store.db.select().from(executions).where(eq(executions.id, before!.id))).find((e) => e.finishedAt),
      90_000,
    );
    expect(done).toMatchObject({ status: 'failed', outcome: 'escalated' });
    expect(done?.reason).toMatch(/outcome unknown.*not safe to repeat/);
    const count = (p: string) => h.target.received.filter((r) => r.path === p).length;
    expect(count('/charge')).toBe(1);
    expect(count('/after')).toBe(0);
    expect(count('/page')).toBe(1);
    const detail = await getExecutionDetail(h.store.db, before!.id);
    expect(detail).toMatchObject({ repeats: 0, unknownSteps: 1 });
    expect(detail.steps.find((s) => s.name === 'charge')).toMatchObject({ status: 'unknown', attempt: 1, repeats: 0 });
    expect(detail.audit.some((a) => a.action === 'step.unknown')).toBe(true);
  }, 180_000);
});
