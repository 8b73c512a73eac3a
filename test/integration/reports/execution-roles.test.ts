/**
 * Approve, reject and cancel by role (the controls the UI's executions and
 * report pages draw for an operator and hides from a viewer): a viewer is
 * refused all three (403, nothing changes), an operator rejects a waiting
 * execution and cancels another, each audited under the operator's name.
 * On both stores and both buses.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, executions, incidents, playbooks, playbookVersions } from '../../../services/store/index.ts';
import { type ReportsHarness, SETUPS, startHarness } from './harness.ts';

const TOKENS = 'viewer:exec-view-token-1,operator:exec-oper-token-2';
const VIEWER = { authorization: 'Bearer exec-view-token-1' };
const OPERATOR = { authorization: 'Bearer exec-oper-token-2' };

describe.each(SETUPS)('execution actions by role on $name', (setup) => {
  let h: ReportsHarness;

  beforeAll(async () => {
    h = await startHarness(setup, { ZEROOPS_API_TOKENS: TOKENS });
    const { db } = h.store;
    // One execution per episode and playbook: two incidents.
    await db
      .insert(incidents)
      .values(['ep-reject', 'ep-cancel'].map((id) => ({ id, service: 'cart', kind: 'errors' as const, severity: 'critical' as const, openedAt: new Date() })));
    await db.insert(playbooks).values({ id: 'pb-x', name: 'restart-cart' });
    await db.insert(playbookVersions).values({ playbookId: 'pb-x', version: 1, spec: {} });
    const waiting = (id: string) => ({
      id,
      episodeId: id.replace('ex-', 'ep-'),
      anomalyId: 'a-x',
      service: 'cart',
      playbookId: 'pb-x',
      playbookVersion: 1,
      mode: 'suggest' as const,
      status: 'awaiting_approval' as const,
      scoreBefore: 0.9,
    });
    await db.insert(executions).values([waiting('ex-reject'), waiting('ex-cancel')]);
  }, 180_000);
  afterAll(async () => h?.close());

  const post = (id: string, action: string, headers: Record<string, string>) =>
    h.app.inject({ method: 'POST', url: `/api/v1/executions/${id}/${action}`, headers, ...(action === 'reject' ? { payload: {} } : {}) });
  const statusOf = async (id: string) => (await h.store.db.select().from(executions).where(eq(executions.id, id)))[0]?.status;

  it('refuses a viewer every action (403 ZEROOPS_FORBIDDEN) and changes nothing', async () => {
    for (const action of ['approve', 'reject', 'cancel']) {
      const res = await post('ex-reject', action, VIEWER);
      expect(res.statusCode, action).toBe(403);
      expect(res.json().error.code).toBe('ZEROOPS_FORBIDDEN');
    }
    expect(await statusOf('ex-reject')).toBe('awaiting_approval');
    // A viewer may still read them.
    expect((await h.app.inject({ url: '/api/v1/executions/ex-reject', headers: VIEWER })).statusCode).toBe(200);
  });

  it('lets an operator reject one and cancel another, audited under its name', async () => {
    const rejected = await post('ex-reject', 'reject', OPERATOR);
    expect(rejected.statusCode).toBe(200);
    expect(rejected.json()).toMatchObject({ id: 'ex-reject', status: 'cancelled', outcome: 'skipped' });
    const cancelled = await post('ex-cancel', 'cancel', OPERATOR);
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ id: 'ex-cancel', status: 'cancelled', outcome: 'skipped' });
    // Neither can be acted on again.
    expect((await post('ex-reject', 'approve', OPERATOR)).statusCode).toBe(409);
    const audit = await h.store.db.select().from(auditLog).where(eq(auditLog.subjectType, 'execution'));
    const byAction = Object.fromEntries(audit.map((a) => [a.action, a]));
    expect(byAction['execution.reject']).toMatchObject({ subjectId: 'ex-reject', actor: expect.stringContaining('operator') });
    expect(byAction['execution.cancel']).toMatchObject({ subjectId: 'ex-cancel', actor: expect.stringContaining('operator') });
  });
});
