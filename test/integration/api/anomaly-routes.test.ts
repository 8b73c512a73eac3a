import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiApp } from '../../../services/api/index.ts';
import type { EpisodeState } from '../../../services/core/contracts/index.ts';
import type { Telemetry } from '../../../services/core/telemetry.ts';
import { anomalies, incidents, type NewAnomalyRow, type Store, services } from '../../../services/store/index.ts';
import { buildTestApp, type TestApp } from '../../helpers/api-app.ts';

function anomaly(id: string, service: string, state: EpisodeState, windowEndMs: number): NewAnomalyRow {
  return {
    id,
    service,
    episodeId: `${service}:ep`,
    windowStart: new Date(windowEndMs - 10_000),
    windowEnd: new Date(windowEndMs),
    score: 0.9,
    likelihood: 0.99,
    severity: 'critical',
    kind: 'errors',
    evidence: [{ feature: 'error_ratio', observed: 0.5, expected: 0.01, deviation: 9 }],
    rootCauses: [{ service: 'db', score: 0.8, reason: 'downstream first' }],
    modelVersion: 'test',
    episodeState: state,
    detectedAt: new Date(windowEndMs + 100),
  };
}

describe('anomaly, incident and service routes', () => {
  let store: Store;
  let app: ApiApp;
  let telemetry: Telemetry;
  let built: TestApp;
  const t = Date.UTC(2026, 0, 1);

  beforeAll(async () => {
    built = await buildTestApp({ env: { ZEROOPS_API_MAX_BODY_BYTES: '1024' } });
    ({ store, app, telemetry } = built);
    await store.db
      .insert(anomalies)
      .values([anomaly('a1', 'checkout', 'open', t), anomaly('a2', 'checkout', 'ongoing', t + 10_000), anomaly('a3', 'cart', 'open', t + 20_000)]);
    await store.db
      .insert(incidents)
      .values({ id: 'checkout:ep', service: 'checkout', kind: 'errors', severity: 'critical', openedAt: new Date(t), maxScore: 0.9, lastScore: 0.9 });
    await store.db.insert(services).values([{ name: 'checkout' }, { name: 'cart' }]);
  });

  afterAll(async () => {
    await built?.close();
  });

  it('lists anomalies newest first and filters by service, state and time', async () => {
    const all = (await app.inject('/api/v1/anomalies')).json().items as Array<{ id: string }>;
    expect(all.map((a) => a.id)).toEqual(['a3', 'a2', 'a1']);
    const checkout = (await app.inject('/api/v1/anomalies?service=checkout&state=ongoing')).json().items as Array<{ id: string; evidence: unknown[] }>;
    expect(checkout.map((a) => a.id)).toEqual(['a2']);
    expect(checkout[0]?.evidence).toHaveLength(1);
    const since = (await app.inject(`/api/v1/anomalies?since=${new Date(t + 10_000).toISOString()}`)).json().items as Array<{ id: string }>;
    expect(since.map((a) => a.id)).toEqual(['a3', 'a2']);
    expect((await app.inject('/api/v1/anomalies?limit=1')).json().items).toHaveLength(1);
  });

  it('returns one anomaly, and 404 with a stable code for an unknown id', async () => {
    expect((await app.inject('/api/v1/anomalies/a3')).json()).toMatchObject({ id: 'a3', service: 'cart', rootCauses: [{ service: 'db' }], attributes: {} });
    await store.db
      .insert(anomalies)
      .values({ ...anomaly('warm', 'cart', 'open', t + 40_000), severity: 'info', attributes: { 'zeroops.model_state': 'warming_up' } });
    expect((await app.inject('/api/v1/anomalies/warm')).json()).toMatchObject({ severity: 'info', attributes: { 'zeroops.model_state': 'warming_up' } });
    await store.db.delete(anomalies).where(eq(anomalies.id, 'warm'));
    const missing = await app.inject('/api/v1/anomalies/nope');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toMatchObject({ code: 'ZEROOPS_NOT_FOUND', message: 'no anomaly with id "nope"' });
  });

  it('rejects bad query parameters with 400 saying which', async () => {
    const bad = await app.inject('/api/v1/anomalies?limit=0&state=maybe');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('ZEROOPS_REQUEST_INVALID');
    expect(bad.json().error.message).toMatch(/limit|state/);
    expect(telemetry.snapshot()['zeroops.api.errors{code=ZEROOPS_REQUEST_INVALID,status=400}']).toBeGreaterThanOrEqual(1);
  });

  it('lists incidents and services', async () => {
    expect((await app.inject('/api/v1/incidents?state=open')).json().items).toMatchObject([
      { id: 'checkout:ep', state: 'open', closedAt: null, resolvedBy: null, neededHuman: false },
    ]);
    expect(((await app.inject('/api/v1/services')).json().items as Array<{ name: string }>).map((s) => s.name)).toEqual(['cart', 'checkout']);
  });

  it('answers 404 for unknown routes and 413 for oversized bodies', async () => {
    expect((await app.inject('/api/v1/nothing')).statusCode).toBe(404);
    const big = await app.inject({
      method: 'POST',
      url: '/api/v1/playbooks',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'x'.repeat(5000) }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('ZEROOPS_BODY_TOO_LARGE');
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = (await app.inject('/api/v1/openapi.json')).json() as { paths: Record<string, unknown> };
    for (const p of ['/api/v1/anomalies', '/api/v1/anomalies/{id}', '/api/v1/incidents', '/api/v1/services', '/api/v1/playbooks'])
      expect(Object.keys(doc.paths)).toContain(p);
  });
});
