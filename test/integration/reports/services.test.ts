/** GET /api/v1/services: each service's state now, open incident, last score and key signals, on both stores. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { services } from '../../../services/store/index.ts';
import { type ReportsHarness, SETUPS, startHarness } from './harness.ts';
import { T0, writeHistory } from './history.ts';

describe.each(SETUPS)('service health on $name', (setup) => {
  let h: ReportsHarness;

  beforeAll(async () => {
    h = await startHarness(setup);
    await writeHistory(h.store.db);
    const old = new Date(T0 - 86_400_000);
    await h.store.db.insert(services).values([
      { name: 'checkout', firstSeen: old, lastSeen: new Date(), attributes: { 'service.version': 'v3' } },
      { name: 'cart', firstSeen: old, lastSeen: new Date() },
      { name: 'fresh', firstSeen: new Date(Date.now() - 60_000), lastSeen: new Date() },
    ]);
  }, 180_000);
  afterAll(async () => h?.close());

  it('says which services are healthy, warming up or anomalous, with their latest signals', async () => {
    const res = await h.app.inject('/api/v1/services');
    expect(res.statusCode).toBe(200);
    const items = res.json().items as Array<Record<string, unknown>>;
    expect(items.map((s) => [s.name, s.state])).toEqual([
      ['cart', 'anomalous'],
      ['checkout', 'healthy'],
      ['fresh', 'warming_up'],
    ]);
    expect(items[0]).toMatchObject({
      openIncident: { id: 'i4', severity: 'critical', openedAt: new Date(T0 + 20 * 3_600_000).toISOString() },
      lastScore: null,
    });
    // checkout's latest window is 01:30: 100 requests/s, 1% errors, p99 120 ms, score 0.1.
    expect(items[1]).toMatchObject({
      openIncident: null,
      lastScore: 0.1,
      signals: { rate: 100, errorRatio: 0.01, latencyP99Ms: 120 },
      attributes: { 'service.version': 'v3' },
    });
    expect(items[2]).toMatchObject({ signals: { rate: null, errorRatio: null, latencyP99Ms: null } });
    expect(res.json().tracking).toMatchObject({ instances: 0 });
  });
});
