/**
 * The shadow gate end to end, in both ways zeroops runs (in-process bus +
 * PGlite, Kafka + Postgres): a real detector scores fixture telemetry from
 * the bus and registers its model as the first active version; incidents
 * are labelled; a candidate deliberately made worse (trained on the fault
 * windows) runs in shadow on the same live windows and is retired by the
 * trainer's gate, never promoted; a candidate trained on the normal windows
 * runs in shadow and is promoted; the running detector switches to it on
 * its own registry poll, without a restart, and anomalies record the version that produced them
 * (with the hash of the baseline parameters, registered once as the active `baselines` version).
 */
import { and, eq, gt, lt } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TfModule } from '../../../models/fleet/index.ts';
import { type Detector, getModelVersion, loadBackend, modelInState } from '../../../services/detector/index.ts';
import { anomalies, feedback, incidents, modelVersions } from '../../../services/store/index.ts';
import { modelCycle } from '../../../services/trainer/index.ts';
import { runModes } from '../../helpers/run-modes.ts';
import { type Env, type Injection, openEnv, publishWindows, startDetector, WINDOW_MS, waitForRollups } from '../detector/fleet-fixture.ts';

const SERVICES = ['cart', 'pay', 'ship', 'user'];
const FIRST = Math.floor((Date.now() - 7_200_000) / WINDOW_MS) * WINDOW_MS;
const INJECTIONS: Injection[] = [
  { service: 'cart', from: 140, to: 175, kind: 'errors' },
  { service: 'pay', from: 190, to: 225, kind: 'latency' },
  { service: 'ship', from: 230, to: 265, kind: 'errors' },
  { service: 'user', from: 250, to: 285, kind: 'latency' },
  // After the promotion: the new version must record the anomaly.
  { service: 'cart', from: 1000, to: 1030, kind: 'errors' },
];
const CYCLE = { windowMs: WINDOW_MS, minLiveWindows: 300, steps: 300, minRows: 20, seed: 5 };

/** Labels every incident: true_positive when it overlaps an injection of its service, else false_positive. */
async function labelIncidents(env: Env): Promise<number> {
  const rows = await env.store.db.select().from(incidents);
  let faults = 0;
  for (const r of rows) {
    const w = (r.openedAt.getTime() - FIRST) / WINDOW_MS;
    const real = INJECTIONS.some((i) => i.service === r.service && w >= i.from - 3 && w <= i.to + 3);
    if (real) faults++;
    await env.store.db
      .insert(feedback)
      .values({ id: `fb-${r.id}`, episodeId: r.id, label: real ? 'true_positive' : 'false_positive', actor: 'test', service: r.service })
      .onConflictDoNothing();
  }
  return faults;
}

describe.each(runModes('registry'))('model registry and shadow gate: $name', (mode) => {
  let cleanup: (() => Promise<void>) | undefined;
  let env: Env;
  let detector: Detector;
  let tf: TfModule;
  let published = 0;

  /**
   * Publishes windows up to `to` and waits until the detector scored them and wrote their events: a round stores its
   * rollups before its anomalies and incidents, so counting rollups alone can read the store mid-round.
   */
  const publishTo = async (to: number) => {
    await publishWindows(env.bus, env.topics.traces, SERVICES, published, to, FIRST, INJECTIONS);
    published = to;
    await waitForRollups(env.store, SERVICES.length * (to - 1), 120_000);
    await detector.flush();
  };

  beforeAll(async () => {
    const m = await mode.setup();
    cleanup = m.cleanup;
    env = await openEnv({ ...m.env, ZEROOPS_DETECTOR_MODEL_POLL_SECONDS: '1' });
    detector = (await startDetector(env)).detector;
    tf = (await loadBackend('cpu')).tf;
  }, 120_000);
  afterAll(async () => {
    await detector?.stop();
    await env?.close();
    await cleanup?.();
  });

  it('retires a candidate made worse on purpose and promotes a better one, which every replica then runs', async () => {
    const db = env.store.db;
    const first = detector.modelVersions().active;
    expect((await getModelVersion(db, first))?.state).toBe('active');

    await publishTo(320);
    expect(await labelIncidents(env)).toBeGreaterThanOrEqual(4);
    const early = await db.select().from(anomalies).where(eq(anomalies.service, 'cart'));
    expect(early.length).toBeGreaterThan(0);
    const baselines = await db.select().from(modelVersions).where(eq(modelVersions.kind, 'baselines'));
    expect(baselines).toHaveLength(1);
    expect(baselines[0]).toMatchObject({ state: 'active', parentId: null, id: (await modelInState(db, 'baselines', 'active'))?.id });
    const base = `+base.${String(baselines[0]?.id).replace(/^baselines-/, '')}`;
    expect(base).toMatch(/^\+base\.[0-9a-f]{8}$/);
    expect(new Set(early.map((a) => a.modelVersion))).toEqual(new Set([`${first}${base}`]));

    // A candidate trained on the fault windows: in shadow on the same live windows, then refused.
    const worse = await modelCycle(env.store, tf, { ...CYCLE, trainOn: 'faults' });
    expect(worse.action, worse.reason).toBe('registered');
    await detector.refreshModels();
    expect(detector.modelVersions()).toEqual({ active: first, shadow: worse.versionId });
    expect((await modelCycle(env.store, tf, CYCLE)).action).toBe('waiting');
    await publishTo(520);
    await detector.refreshModels();
    const judged = await getModelVersion(db, worse.versionId as string);
    expect(judged?.shadowWindows).toBeGreaterThanOrEqual(CYCLE.minLiveWindows);
    const refused = await modelCycle(env.store, tf, CYCLE);
    expect(refused).toMatchObject({ action: 'retired', versionId: worse.versionId });
    expect(refused.reason).toMatch(/worse than the active version: .*recall/);
    expect(await getModelVersion(db, worse.versionId as string)).toMatchObject({ state: 'retired', promotedAt: null });
    expect((await getModelVersion(db, first))?.state).toBe('active');

    // A candidate trained on the normal windows (false alarms included, faults left out): promoted.
    const better = await modelCycle(env.store, tf, CYCLE);
    expect(better.action, better.reason).toBe('registered');
    await detector.refreshModels();
    expect(detector.modelVersions().shadow).toBe(better.versionId);
    await publishTo(900);
    await detector.refreshModels();
    const promoted = await modelCycle(env.store, tf, CYCLE);
    expect(promoted.action, promoted.reason).toBe('promoted');
    expect(await getModelVersion(db, better.versionId as string)).toMatchObject({ state: 'active', parentId: first });
    expect((await getModelVersion(db, first))?.state).toBe('retired');
    const versions = await db.select().from(modelVersions);
    expect(versions.filter((v) => v.state === 'active' && v.kind === 'neural').map((v) => v.id)).toEqual([better.versionId]);

    // The running detector picks the new version up on its own next poll (every second here), without a restart.
    const deadline = Date.now() + 30_000;
    while (detector.modelVersions().active !== better.versionId && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(detector.modelVersions()).toEqual({ active: better.versionId, shadow: undefined });
    await publishTo(1060);
    const late = await db
      .select()
      .from(anomalies)
      .where(
        and(
          eq(anomalies.service, 'cart'),
          gt(anomalies.windowStart, new Date(FIRST + 990 * WINDOW_MS)),
          lt(anomalies.windowStart, new Date(FIRST + 1040 * WINDOW_MS)),
        ),
      );
    expect(late.length).toBeGreaterThan(0);
    expect(new Set(late.map((a) => a.modelVersion))).toEqual(new Set([`${better.versionId}${base}`]));
  }, 600_000);
});
