/**
 * The model registry through the API on both stores (PGlite, Postgres):
 * listing versions (paged, filtered by kind and state, without weights),
 * promoting a shadow version and rolling it back (admin only, audited),
 * 404 for an unknown id and 409 for a pointless promotion or rollback,
 * and viewer and operator tokens refused on the admin routes; a false-positive
 * label folded in by the trainer lists a `calibration` version of its service
 * (filtered by kind and service) whose parent is the service's previous one.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerModelVersion } from '../../../services/detector/index.ts';
import { anomalies, auditLog, modelVersions } from '../../../services/store/index.ts';
import { applyFeedbackEvent } from '../../../services/trainer/index.ts';
import { buildTestApp, type TestApp } from '../../helpers/api-app.ts';

const TOKENS = { viewer: 'models-view-1', operator: 'models-oper-2', admin: 'models-admin-3' };
const auth = (role: keyof typeof TOKENS) => ({ authorization: `Bearer ${TOKENS[role]}` });

interface Version {
  id: string;
  state: string;
  kind: string;
  parentId: string | null;
  service: string | null;
  version: number | null;
  reason: string;
  decision: string;
  quality: Record<string, unknown>;
  live: { windows: number };
}

describe.each(['pglite', 'postgres'] as const)('model registry API on %s', (storeKind) => {
  let t: TestApp;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await buildTestApp({
      store: storeKind,
      env: { ZEROOPS_API_TOKENS: `viewer:${TOKENS.viewer},operator:${TOKENS.operator},admin:${TOKENS.admin}` },
    });
    const db = t.store.db;
    const first = await registerModelVersion(db, { kind: 'neural', state: 'active', parentId: null, reason: 'initial', params: { weights: [[1]] } }, 1_000);
    ids.first = first.id;
    for (let i = 0; i < 3; i++) {
      const old = await registerModelVersion(db, { kind: 'calibration', state: 'shadow', parentId: null, reason: `calibration ${i}` }, 2_000 + i);
      await db.update(modelVersions).set({ state: 'retired' }).where(eq(modelVersions.id, old.id));
    }
    const shadow = await registerModelVersion(
      db,
      { kind: 'neural', state: 'shadow', parentId: first.id, reason: 'retrained', quality: { candidate: { recall: 0.9 } }, params: { weights: [[2]] } },
      3_000,
    );
    ids.shadow = shadow.id;
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  const get = async (url: string, role: keyof typeof TOKENS = 'viewer') => t.app.inject({ method: 'GET', url, headers: auth(role) });
  const post = async (url: string, role: keyof typeof TOKENS, payload: object = {}) => t.app.inject({ method: 'POST', url, headers: auth(role), payload });

  it('lists versions newest first with state, parent, reason and figures, never the weights; filters and pages', async () => {
    const all = await get('/api/v1/models');
    expect(all.statusCode, all.body).toBe(200);
    const page = all.json() as { items: Version[]; nextCursor: string | null };
    expect(page.items.map((v) => v.id)[0]).toBe(ids.shadow);
    expect(page.items).toHaveLength(5);
    expect(all.body).not.toContain('weights');
    const shadow = page.items[0] as Version;
    expect(shadow).toMatchObject({ state: 'shadow', kind: 'neural', parentId: ids.first, quality: { candidate: { recall: 0.9 } }, live: { windows: 0 } });
    const neural = (await get('/api/v1/models?kind=neural')).json() as { items: Version[] };
    expect(neural.items.map((v) => v.id)).toEqual([ids.shadow, ids.first]);
    const retired = (await get('/api/v1/models?kind=calibration&state=retired')).json() as { items: Version[] };
    expect(retired.items).toHaveLength(3);
    const first = (await get('/api/v1/models?limit=2')).json() as { items: Version[]; nextCursor: string };
    const second = (await get(`/api/v1/models?limit=2&cursor=${first.nextCursor}`)).json() as { items: Version[]; nextCursor: string };
    const third = (await get(`/api/v1/models?limit=2&cursor=${second.nextCursor}`)).json() as { items: Version[]; nextCursor: string | null };
    expect([...first.items, ...second.items, ...third.items].map((v) => v.id)).toEqual(page.items.map((v) => v.id));
    expect(third.nextCursor).toBeNull();
    expect((await get('/api/v1/models?state=gone')).statusCode).toBe(400);
  });

  it('refuses promote and rollback to viewer and operator tokens, and to no token', async () => {
    for (const role of ['viewer', 'operator'] as const) {
      expect((await post(`/api/v1/models/${ids.shadow}/promote`, role)).statusCode).toBe(403);
      expect((await post(`/api/v1/models/${ids.first}/rollback`, role)).statusCode).toBe(403);
    }
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/models/${ids.shadow}/promote`, payload: {} })).statusCode).toBe(401);
    expect(((await get(`/api/v1/models/${ids.shadow}`)).json() as Version).state).toBe('shadow');
  });

  it('answers 404 with a clear message for an unknown id', async () => {
    for (const url of ['/api/v1/models/neural-nope/promote', '/api/v1/models/neural-nope/rollback']) {
      const r = await post(url, 'admin');
      expect(r.statusCode).toBe(404);
      expect(r.json()).toMatchObject({ error: { code: 'ZEROOPS_NOT_FOUND', message: expect.stringContaining('no model version with id "neural-nope"') } });
    }
    expect((await get('/api/v1/models/neural-nope')).statusCode).toBe(404);
  });

  it('promotes a shadow version (the active one retired), 409 when promoted again, audited', async () => {
    const r = await post(`/api/v1/models/${ids.shadow}/promote`, 'admin', { reason: 'looks better' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ id: ids.shadow, state: 'active', decision: expect.stringContaining('looks better') });
    const old = (await get(`/api/v1/models/${ids.first}`)).json() as Version;
    expect(old.state).toBe('retired');
    expect(old.decision).toContain(`replaced by ${ids.shadow}`);
    const again = await post(`/api/v1/models/${ids.shadow}/promote`, 'admin');
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: { code: 'ZEROOPS_CONFLICT', message: expect.stringContaining('already the active') } });
    const audit = await t.store.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.subjectId, ids.shadow as string), eq(auditLog.action, 'model.promote')));
    expect(audit).toHaveLength(1);
    expect(audit[0]?.details).toMatchObject({ replaced: ids.first, reason: 'looks better' });
  });

  it('rolls the active version back to its parent, 409 for a version that is not active, audited', async () => {
    const notActive = await post(`/api/v1/models/${ids.first}/rollback`, 'admin');
    expect(notActive.statusCode).toBe(409);
    const r = await post(`/api/v1/models/${ids.shadow}/rollback`, 'admin', { reason: 'alarms went up' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ id: ids.first, state: 'active' });
    const rolled = (await get(`/api/v1/models/${ids.shadow}`)).json() as Version;
    expect(rolled).toMatchObject({ state: 'retired', decision: expect.stringContaining('alarms went up') });
    const active = (await get('/api/v1/models?kind=neural&state=active')).json() as { items: Version[] };
    expect(active.items.map((v) => v.id)).toEqual([ids.first]);
    const audit = await t.store.db.select().from(auditLog).where(eq(auditLog.action, 'model.rollback'));
    expect(audit.map((a) => a.subjectId)).toEqual([ids.shadow]);
    // The first version has no earlier one to go back to.
    expect((await post(`/api/v1/models/${ids.first}/rollback`, 'admin')).statusCode).toBe(409);
  });

  it('lists the calibration version a false-positive label creates, with its parent, by kind and service; not promotable', async () => {
    const at = Date.UTC(2026, 11, 5, 9);
    await t.store.db.insert(anomalies).values({
      id: 'models-a-1',
      service: 'checkout',
      episodeId: 'models-ep-1',
      windowStart: new Date(at - 60_000),
      windowEnd: new Date(at - 50_000),
      score: 0.9,
      likelihood: 0.9,
      severity: 'warning',
      kind: 'latency',
      evidence: [{ feature: 'latency_p95_ms', observed: 900, expected: 100, deviation: 8 }],
      episodeState: 'open',
      detectedAt: new Date(at),
    });
    const settings = { targetFalseAlarmRate: 0.1, halfLifeMs: 7 * 86_400_000, maxShift: 3 };
    const fp = (id: string, service: string) =>
      applyFeedbackEvent(
        t.store.db,
        {
          id,
          label: 'false_positive',
          service,
          episodeId: 'models-ep-1',
          fromUnixMs: at - 60_000,
          toUnixMs: at - 40_000,
          actor: 'op',
          note: '',
          createdUnixMs: at,
        },
        settings,
      );
    expect(await fp('models-fb-1', 'checkout')).toBe('applied');
    expect(await fp('models-fb-2', 'checkout')).toBe('applied');
    expect(await fp('models-fb-3', 'search')).toBe('applied');
    const r = await get('/api/v1/models?kind=calibration&service=checkout');
    expect(r.statusCode, r.body).toBe(200);
    const items = (r.json() as { items: Version[] }).items;
    expect(items.map((v) => [v.service, v.version, v.state])).toEqual([
      ['checkout', 2, 'active'],
      ['checkout', 1, 'retired'],
    ]);
    const [second, first] = items as [Version, Version];
    expect(second.parentId).toBe(first.id);
    expect(first.parentId).toBeNull();
    expect(second.reason).toContain('false_positive label models-fb-2 on incident models-ep-1');
    expect(second.quality).toMatchObject({ label: { feedbackId: 'models-fb-2', label: 'false_positive', incidentId: 'models-ep-1' } });
    expect((second.quality as { shifts: Record<string, number> }).shifts['latency_p95_ms+']).toBeCloseTo(1.8, 1);
    expect(r.body).not.toContain('normalRanges');
    const search = (await get('/api/v1/models?kind=calibration&service=search')).json() as { items: Version[] };
    expect(search.items.map((v) => [v.service, v.version, v.state, v.parentId])).toEqual([['search', 1, 'active', null]]);
    const fleet = (await get('/api/v1/models?kind=neural')).json() as { items: Version[] };
    expect(fleet.items.every((v) => v.service === null && v.version === null)).toBe(true);
    const refused = await post(`/api/v1/models/${first.id}/promote`, 'admin');
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ error: { code: 'ZEROOPS_CONFLICT', message: expect.stringContaining('labels of its service') } });
  });
});
