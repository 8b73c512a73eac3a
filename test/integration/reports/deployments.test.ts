/** Deployments detected from telemetry: a change of a service's service.version, recorded by the detector's sink, on both stores. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnomalySink } from '../../../services/detector/anomaly-sink.ts';
import { deployments } from '../../../services/store/index.ts';
import { type ReportsHarness, SETUPS, startHarness } from './harness.ts';

describe.each(SETUPS)('deployments on $name', (setup) => {
  let h: ReportsHarness;

  beforeAll(async () => {
    h = await startHarness(setup);
  }, 180_000);
  afterAll(async () => h?.close());

  it('records a version change with old and new version, first and last seen', async () => {
    const sink = createAnomalySink({ store: h.store, bus: h.bus, anomaliesTopic: h.topics.anomalies });
    const round = (v: string) =>
      sink.touchServices([
        { name: 'checkout', attributes: { 'service.version': v } },
        { name: 'cart', attributes: {} },
      ]);
    await round('1.0.0');
    await round('1.0.0');
    expect(await h.store.db.select().from(deployments)).toEqual([]);
    await round('1.1.0');
    await new Promise((r) => setTimeout(r, 20));
    await round('1.1.0');
    const rows = await h.store.db.select().from(deployments);
    expect(rows).toHaveLength(1);
    const d = rows[0] as (typeof rows)[number];
    expect(d).toMatchObject({ service: 'checkout', oldVersion: '1.0.0', newVersion: '1.1.0' });
    expect(d.lastSeen.getTime()).toBeGreaterThan(d.firstSeen.getTime());
    // A rollback is a deployment too.
    await round('1.0.0');
    const all = await h.store.db.select().from(deployments).orderBy(deployments.firstSeen);
    expect(all.map((r) => [r.oldVersion, r.newVersion])).toEqual([
      ['1.0.0', '1.1.0'],
      ['1.1.0', '1.0.0'],
    ]);
  });
});
