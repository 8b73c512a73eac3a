/**
 * Approvals (Postgres): the approver's identity is in the audit log; a
 * request older than ZEROOPS_APPROVAL_TTL_SECONDS expires (the executor's
 * sweep, or a late approve that answers 409 ZEROOPS_APPROVAL_EXPIRED); the
 * guardrails are evaluated again when an approval arrives.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiApp } from '../../../services/api/index.ts';
import { decide, expireApprovals } from '../../../services/executor/index.ts';
import type { StoredPlaybook } from '../../../services/playbooks/index.ts';
import { auditLog, executions } from '../../../services/store/index.ts';
import { anomaly, type Harness, openHarness, upsertIncident } from '../executor/harness.ts';

const ADMIN = 'approvals-admin';
const TTL = 3600;

describe('approvals', () => {
  let h: Harness;
  let app: ApiApp;
  let alice = '';
  let pb: StoredPlaybook;

  const auth = (t: string) => ({ authorization: `Bearer ${t}` });
  const awaiting = async (episodeId: string, service = 'shop') => {
    const d = await decide(h.store.db, anomaly({ service, episodeId }), { id: pb.id, name: pb.name, version: pb.version, spec: pb.spec }, 'executor');
    expect(d.execution.status).toBe('awaiting_approval');
    return d.execution.id;
  };
  const backdate = (id: string, seconds: number) =>
    h.store.db
      .update(executions)
      .set({ createdAt: sql`now() - ${seconds} * interval '1 second'` as unknown as Date })
      .where(eq(executions.id, id));
  const auditOf = (id: string) => h.store.db.select().from(auditLog).where(eq(auditLog.subjectId, id)).orderBy(auditLog.id);

  beforeAll(async () => {
    h = await openHarness({ ZEROOPS_API_TOKENS: `admin:${ADMIN}`, ZEROOPS_APPROVAL_TTL_SECONDS: String(TTL) });
    app = await h.app();
    const tok = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: auth(ADMIN), payload: { name: 'alice', role: 'operator' } });
    alice = (tok.json() as { token: string }).token;
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/playbooks',
      headers: auth(ADMIN),
      payload: {
        name: 'careful',
        mode: 'suggest',
        match: { service: 'shop*' },
        guardrails: { cooldownSeconds: 0, maxConcurrent: 100 },
        steps: [{ id: 'pause', type: 'wait', wait: { seconds: 0 } }],
      },
    });
    expect(created.statusCode).toBe(201);
    pb = created.json() as StoredPlaybook;
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  it('an operator approves; the audit log names the approver (token:<name>)', async () => {
    const id = await awaiting('ep-approve');
    const res = await app.inject({ method: 'POST', url: `/api/v1/executions/${id}/approve`, headers: auth(alice) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'pending', reason: 'approved by token:alice' });
    const approve = (await auditOf(id)).find((a) => a.action === 'execution.approve');
    expect(approve?.actor).toBe('token:alice');
    expect(approve?.details).toMatchObject({ allowed: true });
    expect((await app.inject({ method: 'POST', url: `/api/v1/executions/${id}/approve`, headers: auth(alice) })).json()).toMatchObject({
      error: { code: 'ZEROOPS_CONFLICT' },
    });
  });

  it('a late approve answers 409 ZEROOPS_APPROVAL_EXPIRED and ends the request as skipped (approval_expired)', async () => {
    const id = await awaiting('ep-late');
    await backdate(id, TTL + 5);
    const res = await app.inject({ method: 'POST', url: `/api/v1/executions/${id}/approve`, headers: auth(alice) });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: { code: 'ZEROOPS_APPROVAL_EXPIRED' } });
    const [row] = await h.store.db.select().from(executions).where(eq(executions.id, id));
    expect(row).toMatchObject({ status: 'cancelled', outcome: 'skipped' });
    expect(row?.reason).toMatch(/^guardrail approval_expired: no approval within 3600 s/);
    const expire = (await auditOf(id)).find((a) => a.action === 'execution.expire');
    expect(expire?.actor).toBe('token:alice');
    const again = await app.inject({ method: 'POST', url: `/api/v1/executions/${id}/approve`, headers: auth(alice) });
    expect([again.statusCode, (again.json() as { error: { code: string } }).error.code]).toEqual([409, 'ZEROOPS_APPROVAL_EXPIRED']);
  });

  it('the expiry sweep ends requests past the TTL and leaves younger ones', async () => {
    const old = await awaiting('ep-old');
    const young = await awaiting('ep-young');
    await backdate(old, TTL + 1);
    const expired = await expireApprovals(h.store.db, TTL);
    expect(expired.map((r) => r.id)).toEqual([old]);
    expect(expired[0]).toMatchObject({ status: 'cancelled', outcome: 'skipped', outcomePublished: false });
    expect((await auditOf(old)).map((a) => [a.actor, a.action])).toContainEqual(['executor', 'execution.expire']);
    const [y] = await h.store.db.select().from(executions).where(eq(executions.id, young));
    expect(y?.status).toBe('awaiting_approval');
  });

  it('guardrails are evaluated again when the approval arrives: a closed episode skips it with 409', async () => {
    await upsertIncident(h.store, 'ep-closed', { state: 'open', service: 'shop' });
    const id = await awaiting('ep-closed');
    await upsertIncident(h.store, 'ep-closed', { state: 'closed', service: 'shop' });
    const res = await app.inject({ method: 'POST', url: `/api/v1/executions/${id}/approve`, headers: auth(alice) });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: { code: 'ZEROOPS_APPROVAL_GUARDRAIL', details: [{ guardrail: 'episode_closed' }] } });
    const [row] = await h.store.db.select().from(executions).where(eq(executions.id, id));
    expect(row).toMatchObject({ status: 'skipped', outcome: 'skipped' });
    expect(row?.reason).toContain('guardrail episode_closed');
    expect(row?.reason).toContain('re-checked on approval by token:alice');
    const approve = (await auditOf(id)).find((a) => a.action === 'execution.approve');
    expect([approve?.actor, approve?.details.allowed]).toEqual(['token:alice', false]);
  });

  it('a viewer cannot approve, and the refusal is audited under its name', async () => {
    const id = await awaiting('ep-viewer');
    const v = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: auth(ADMIN), payload: { name: 'victor', role: 'viewer' } });
    const viewer = (v.json() as { token: string }).token;
    expect((await app.inject({ method: 'POST', url: `/api/v1/executions/${id}/approve`, headers: auth(viewer) })).statusCode).toBe(403);
    const [row] = await h.store.db.select().from(executions).where(eq(executions.id, id));
    expect(row?.status).toBe('awaiting_approval');
    const deadline = Date.now() + 30_000;
    let denied: { actor: string; details: Record<string, unknown> } | undefined;
    while (!denied && Date.now() < deadline) {
      denied = (await h.store.db.select().from(auditLog).where(eq(auditLog.action, 'auth.deny'))).find((r) => r.actor === 'token:victor');
      if (!denied) await new Promise((r) => setTimeout(r, 100));
    }
    expect(denied?.details).toMatchObject({ reason: 'role_too_weak', status: 403 });
  });
});
