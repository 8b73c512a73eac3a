/**
 * Labels: an operator labels an incident true or false positive, or reports
 * a missed anomaly; the label is stored, audited, shown on the incident and
 * published on the `feedback` topic. On both stores and both buses.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFeedback } from '../../../services/bus/index.ts';
import { auditLog, feedback, incidents } from '../../../services/store/index.ts';
import { eventually, type ReportsHarness, SETUPS, startHarness } from './harness.ts';

const TOKENS = 'viewer:alice-view-token-1,operator:bob-oper-token-2';
const VIEWER = { authorization: 'Bearer alice-view-token-1' };
const OPERATOR = { authorization: 'Bearer bob-oper-token-2' };

describe.each(SETUPS)('labels on $name', (setup) => {
  let h: ReportsHarness;
  const opened = new Date(Date.UTC(2026, 0, 1, 10));

  beforeAll(async () => {
    h = await startHarness(setup, { ZEROOPS_API_TOKENS: TOKENS });
    await h.store.db.insert(incidents).values([
      { id: 'ep-1', service: 'checkout', kind: 'errors', severity: 'critical', openedAt: opened, maxScore: 0.9, lastScore: 0.8 },
      { id: 'ep-2', service: 'checkout', kind: 'latency', severity: 'warning', openedAt: new Date(opened.getTime() - 60_000), maxScore: 0.7, lastScore: 0.6 },
    ]);
  }, 180_000);
  afterAll(async () => h?.close());

  it('labels an incident, audits it, shows it on the incident and publishes it', async () => {
    const published = await h.collect(h.topics.feedback);
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/incidents/ep-1/feedback',
      headers: OPERATOR,
      payload: { label: 'false_positive', note: 'nightly batch' },
    });
    expect(res.statusCode).toBe(201);
    const label = res.json();
    expect(label).toMatchObject({ label: 'false_positive', actor: expect.stringContaining('operator'), note: 'nightly batch' });
    const shown = (await h.app.inject({ url: '/api/v1/incidents/ep-1', headers: VIEWER })).json();
    expect(shown).toMatchObject({ id: 'ep-1', service: 'checkout', state: 'open', labels: [{ id: label.id, label: 'false_positive', note: 'nightly batch' }] });
    const audit = await h.store.db.select().from(auditLog).where(eq(auditLog.subjectId, 'ep-1'));
    expect(audit.map((a) => a.action)).toEqual(['feedback.false_positive']);
    await eventually(() => published.some((r) => decodeFeedback(r.value).id === label.id));
    const record = published.find((r) => decodeFeedback(r.value).id === label.id);
    const e = decodeFeedback(record?.value as Uint8Array);
    expect(e).toMatchObject({
      id: label.id,
      label: 'false_positive',
      service: 'checkout',
      episodeId: 'ep-1',
      fromUnixMs: opened.getTime(),
      note: 'nightly batch',
    });
    expect(record?.key).toBe('checkout');
  }, 30_000);

  it('shows the labels of each incident in the list and filters by label (none: not judged)', async () => {
    const list = async (q: string) => (await h.app.inject({ url: `/api/v1/incidents${q}`, headers: VIEWER })).json();
    const all = await list('');
    expect(all.items.map((i: { id: string }) => i.id)).toEqual(['ep-1', 'ep-2']);
    expect(all.items[0].labels).toEqual([
      expect.objectContaining({ label: 'false_positive', note: 'nightly batch', actor: expect.stringContaining('operator') }),
    ]);
    expect(all.items[1].labels).toEqual([]);
    expect((await list('?label=false_positive')).items.map((i: { id: string }) => i.id)).toEqual(['ep-1']);
    expect((await list('?label=true_positive')).items).toEqual([]);
    expect((await list('?label=none')).items.map((i: { id: string }) => i.id)).toEqual(['ep-2']);
    expect((await h.app.inject({ url: '/api/v1/incidents?label=maybe', headers: VIEWER })).statusCode).toBe(400);
  });

  it('records a missed anomaly with its service and range', async () => {
    const published = await h.collect(h.topics.feedback);
    const body = { service: 'cart', from: '2026-01-01T09:00:00Z', to: '2026-01-01T09:10:00Z' };
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/feedback', headers: OPERATOR, payload: body });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ label: 'missed', note: '' });
    const [row] = await h.store.db.select().from(feedback).where(eq(feedback.id, res.json().id));
    expect(row).toMatchObject({ service: 'cart', episodeId: null, fromAt: new Date(body.from), toAt: new Date(body.to) });
    await eventually(() => published.some((r) => decodeFeedback(r.value).id === res.json().id));
    expect(published.map((r) => decodeFeedback(r.value)).find((e) => e.id === res.json().id)).toMatchObject({
      label: 'missed',
      service: 'cart',
      toUnixMs: Date.parse(body.to),
    });
  }, 30_000);

  it('refuses bad labels with stable codes, and viewers', async () => {
    const unknown = await h.app.inject({ method: 'POST', url: '/api/v1/incidents/nope/feedback', headers: OPERATOR, payload: { label: 'true_positive' } });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('ZEROOPS_NOT_FOUND');
    const badLabel = await h.app.inject({ method: 'POST', url: '/api/v1/incidents/ep-1/feedback', headers: OPERATOR, payload: { label: 'missed' } });
    expect(badLabel.statusCode).toBe(400);
    expect(badLabel.json().error.code).toBe('ZEROOPS_REQUEST_INVALID');
    const backwards = await h.app.inject({
      method: 'POST',
      url: '/api/v1/feedback',
      headers: OPERATOR,
      payload: { service: 'cart', from: '2026-01-01T10:00:00Z', to: '2026-01-01T09:00:00Z' },
    });
    expect(backwards.statusCode).toBe(400);
    expect(backwards.json().error.message).toMatch(/later than/);
    const viewer = await h.app.inject({ method: 'POST', url: '/api/v1/incidents/ep-1/feedback', headers: VIEWER, payload: { label: 'true_positive' } });
    expect(viewer.statusCode).toBe(403);
    expect((await h.app.inject('/api/v1/incidents/nope')).statusCode).toBe(401);
  });

  it('tells the UI who is calling', async () => {
    expect((await h.app.inject('/api/v1/whoami')).json()).toEqual({ role: null, tokensConfigured: true });
    expect((await h.app.inject({ url: '/api/v1/whoami', headers: OPERATOR })).json()).toEqual({ role: 'operator', tokensConfigured: true });
  });
});
