/**
 * Managed rollouts on both stores (PGlite with the memory bus, Postgres with
 * Kafka), with two executors on the same store: a bad version is rolled
 * back automatically within two minutes and counted as a change failure, a
 * good one is kept (even when the executor watching it stops: the other
 * resumes), a one-window anomaly episode does not roll a change back but a
 * service score that stays anomalous does, a deferred change waits for the forecast's quiet window
 * and can be run now or cancelled, and bad requests get a 400 that says what
 * to fix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Component } from '../../../services/core/component.ts';
import { loadConfig } from '../../../services/core/config.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { createTelemetry } from '../../../services/core/telemetry.ts';
import { assertChangeRequest, createExecutor } from '../../../services/executor/index.ts';
import { changes, rollups, services } from '../../../services/store/index.ts';
import { startVersionedService, type VersionedService } from '../../helpers/versioned-service.ts';
import { until, upsertIncident } from '../executor/harness.ts';
import { type ReportsHarness, SETUPS, startHarness } from '../reports/harness.ts';

const HOUR = 3_600_000;
const ENV = { ZEROOPS_HTTP_ALLOWLIST: '127.0.0.1', ZEROOPS_WINDOW_SECONDS: '1' };

describe.each(SETUPS)('managed changes on $name', (setup) => {
  let h: ReportsHarness;
  let shop: VersionedService;
  let calm: VersionedService;
  const executors = new Map<string, Component>();
  const now = Date.now();
  const trough = now + 30 * 60_000;
  const rate = (ms: number) => 100 - 60 * Math.cos((2 * Math.PI * (ms - trough)) / HOUR);

  beforeAll(async () => {
    h = await startHarness(setup, ENV);
    shop = await startVersionedService('1.4.2', { '1.5.0': 0.6 });
    calm = await startVersionedService('2.0.0', {});
    await h.store.db.insert(services).values([{ name: 'shop' }, { name: 'calm' }, { name: 'quiet' }]);
    // Eight hours of an hourly load cycle for `quiet`: its forecast is ready, with a trough 30 minutes from now.
    const rows = [];
    for (let m = 8 * 60; m >= 1; m--) {
      const end = Math.floor((now - m * 60_000) / 60_000) * 60_000;
      rows.push({ service: 'quiet', windowEnd: new Date(end), features: { request_rate: rate(end - 30_000) }, score: 0.1 });
    }
    await h.store.db.insert(rollups).values(rows);
    const config = loadConfig(ENV);
    for (const workerId of ['exec-a', 'exec-b']) {
      const ex = createExecutor(
        {
          bus: h.bus,
          store: h.store,
          logger: silentLogger(),
          telemetry: createTelemetry(),
          topics: h.topics,
          options: { pollMs: 200, leaseMs: 5_000, workerId },
        },
        config,
      );
      await ex.start();
      executors.set(workerId, ex);
    }
    shop.sample(h.store, 'shop');
    await until('baseline windows of shop', async () => shop.windows() >= 5, 60_000);
  }, 180_000);
  afterAll(async () => {
    for (const ex of executors.values()) await ex.stop();
    await shop?.close();
    await calm?.close();
    await h?.close();
  });

  const post = (body: unknown) => h.app.inject({ method: 'POST', url: '/api/v1/changes', payload: body as object });
  const change = (id: string) => h.app.inject(`/api/v1/changes/${id}`).then((r) => r.json());
  const stateOf = (id: string, states: string[], ms: number) =>
    until(
      `change ${id} to be ${states.join(' or ')}`,
      async () => {
        const c = await change(id);
        return states.includes(c.state) ? c : undefined;
      },
      ms,
    );
  const deploy = (svc: VersionedService, version: string, watchSeconds: number, service = 'shop') => ({
    service,
    version,
    description: `roll out ${version}`,
    change: { type: 'http', http: { method: 'POST', url: `${svc.url}/deploy`, body: { version } } },
    undo: { type: 'http', http: { method: 'POST', url: `${svc.url}/rollback` } },
    watchSeconds,
    baselineSeconds: 60,
  });

  it('rolls a bad version back automatically within two minutes and counts it as a change failure', async () => {
    const res = await post(deploy(shop, '1.5.0', 90));
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created.state).toMatch(/^(scheduled|applying)$/);
    expect(created.scheduleReason).toMatch(/applies at once/);
    const done = await stateOf(created.id, ['rolled_back', 'kept', 'failed'], 150_000);
    expect(done.state).toBe('rolled_back');
    expect(done.reason).toMatch(/^regression: error_ratio .* against .* before .*; rolled back$/);
    expect(Date.parse(done.finishedAt) - Date.parse(done.appliedAt)).toBeLessThan(120_000);
    expect(done.baseline.features.error_ratio.mean).toBe(0);
    // Two executors, one deploy and one rollback, each with one idempotency key (a resend after a lost lease reuses it).
    const keys = (xs: string[]) => [...new Set(xs)];
    expect(keys(shop.deploys.filter((d) => d.version === '1.5.0').map((d) => d.key))).toEqual([`change:${created.id}:apply`]);
    expect(keys(shop.rollbacks)).toEqual([`change:${created.id}:undo`]);
    expect(shop.version()).toBe('1.4.2');
    const kpis = (await h.app.inject('/api/v1/kpis?service=shop')).json();
    expect(kpis.totals).toMatchObject({ deployments: 1, changeFailureRate: 1 });
  }, 180_000);

  it('keeps a good version after its watch, even when the executor watching it stops and the other resumes it', async () => {
    await until('the bad version gone from the windows', async () => {
      const c = await h.app.inject('/api/v1/changes?service=shop&state=rolled_back');
      return c.json().items.length === 1;
    });
    // Windows since the rollback are good again: give the baseline a few.
    const w0 = shop.windows();
    await until('fresh good windows', async () => shop.windows() >= w0 + 3, 60_000);
    const res = await post(deploy(shop, '1.6.0', 10));
    expect(res.statusCode).toBe(201);
    const created = res.json();
    const watching = await stateOf(created.id, ['watching', 'kept', 'rolled_back', 'failed'], 60_000);
    expect(watching.state).toBe('watching');
    const holder = executors.get(watching.leaseOwner);
    expect(holder).toBeDefined();
    await holder?.stop();
    executors.delete(watching.leaseOwner);
    const done = await stateOf(created.id, ['kept', 'rolled_back', 'failed'], 90_000);
    expect(done.state).toBe('kept');
    expect(done.reason).toMatch(/^kept: no regression within the 10 s watch \(error_ratio within noise of the baseline/);
    expect(new Set(shop.deploys.filter((d) => d.version === '1.6.0').map((d) => d.key)).size).toBe(1);
    expect(new Set(shop.rollbacks).size).toBe(1);
    expect(shop.version()).toBe('1.6.0');
    const list = (await h.app.inject('/api/v1/changes?service=shop')).json();
    expect(list.items.map((c: { state: string }) => c.state)).toEqual(['kept', 'rolled_back']);
    const kpis = (await h.app.inject('/api/v1/kpis?service=shop')).json();
    expect(kpis.totals).toMatchObject({ deployments: 2, changeFailureRate: 0.5 });
  }, 180_000);

  it('keeps watching through a one-window anomaly episode, and rolls back when the service score stays anomalous', async () => {
    // calm's detector windows, one a second: quiet ones before the change make its baseline.
    const window = (score: number, at = new Date()) =>
      h.store.db.insert(rollups).values({ service: 'calm', windowEnd: at, features: { request_rate: 20 }, score });
    for (let s = 20; s >= 1; s--) await window(0.1, new Date(Date.now() - s * 1000));
    const created = (await post({ ...deploy(calm, '2.1.0', 120, 'calm'), sustainSeconds: 5 })).json();
    await stateOf(created.id, ['watching'], 60_000);
    const second = () => new Promise((r) => setTimeout(r, 1000));
    // A blip: the detector opens an episode on one anomalous window, then the score is quiet again.
    await upsertIncident(h.store, `ep-calm-${setup.bus}`, { service: 'calm' });
    for (const score of [0.95, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]) {
      await window(score);
      await second();
    }
    const after = await change(created.id);
    expect(after.state).toBe('watching');
    expect(after.verdict.score).toMatchObject({ anomalous: 1 });
    // Then the score stays anomalous: a regression once it is anomalous in half of each third of the latest 5 s.
    let sent = 0;
    const done = await until(
      'the change to end',
      async () => {
        const c = await change(created.id);
        if (['rolled_back', 'kept', 'failed'].includes(c.state)) return c;
        await window(0.9);
        sent++;
        await second();
        return undefined;
      },
      60_000,
    );
    expect(done.state).toBe('rolled_back');
    expect(done.reason).toMatch(
      /^regression: service score anomalous \(>= 0.5\) in at least half the windows of each third of the latest \d+ s \(\d+ windows\)/,
    );
    expect(done.reason).toContain(`anomaly episode ep-calm-${setup.bus} opened on calm`);
    expect(sent).toBeGreaterThanOrEqual(3);
    expect(calm.version()).toBe('2.0.0');
  }, 120_000);

  it('defers a change into the quiet window of the load forecast; an operator runs it now or cancels it', async () => {
    const body = { ...deploy(calm, '2.2.0', 10, 'quiet'), maxDelaySeconds: 3600, durationSeconds: 300 };
    const first = (await post(body)).json();
    expect(first.state).toBe('scheduled');
    const at = Date.parse(first.scheduledFor);
    expect(Math.abs(at + 150_000 - trough)).toBeLessThan(10 * 60_000);
    expect(at).toBeLessThanOrEqual(Date.parse(first.createdAt) + HOUR);
    expect(first.scheduleReason).toMatch(/deferred to the quietest 300 s within 3600 s of the load forecast/);
    const cancelled = await h.app.inject({ method: 'POST', url: `/api/v1/changes/${first.id}/cancel` });
    expect(cancelled.json().state).toBe('cancelled');
    const late = await h.app.inject({ method: 'POST', url: `/api/v1/changes/${first.id}/run-now` });
    expect(late.statusCode).toBe(409);
    expect(late.json().error.code).toBe('ZEROOPS_CONFLICT');
    const second = (await post(body)).json();
    expect(second.state).toBe('scheduled');
    const before = calm.deploys.length;
    await new Promise((r) => setTimeout(r, 1_000));
    expect(calm.deploys.length).toBe(before);
    const ran = await h.app.inject({ method: 'POST', url: `/api/v1/changes/${second.id}/run-now` });
    expect(ran.json().scheduleReason).toMatch(/^run now by /);
    const done = await stateOf(second.id, ['kept', 'rolled_back', 'failed'], 60_000);
    expect(done.state).toBe('kept');
    expect([...new Set(calm.deploys.filter((d) => d.version === '2.2.0').map((d) => d.key))]).toEqual([`change:${second.id}:apply`]);
  }, 120_000);

  it('resumes a change whose executor died mid-apply: a safe step is sent again with its key, an unsafe one is undone', async () => {
    const ctx = { secrets: {}, commandAllowlist: [], httpAllowlist: ['127.0.0.1'] };
    const died = {
      state: 'applying' as const,
      applyAttempts: 1,
      leaseOwner: 'dead-executor',
      leaseExpiresAt: new Date(Date.now() - 1_000),
      scheduledFor: new Date(),
      createdBy: 'test',
    };
    const safe = assertChangeRequest(deploy(calm, '3.0.0', 10, 'calm'), ctx);
    const unsafe = assertChangeRequest(
      {
        ...deploy(calm, '3.1.0', 10, 'calm'),
        change: { type: 'kubernetes', kubernetes: { action: 'restart', namespace: 'shop', deployment: 'calm', server: 'https://127.0.0.1:1' } },
      },
      ctx,
    );
    const ids = [`ch_died_safe_${setup.bus}`, `ch_died_unsafe_${setup.bus}`];
    await h.store.db.insert(changes).values([
      { id: ids[0] as string, service: 'calm', spec: safe as unknown as Record<string, unknown>, ...died },
      { id: ids[1] as string, service: 'calm', spec: unsafe as unknown as Record<string, unknown>, ...died },
    ]);
    const resent = await stateOf(ids[0] as string, ['kept', 'rolled_back', 'failed'], 60_000);
    expect(resent.state).toBe('kept');
    expect(resent.applyAttempts).toBe(2);
    expect(calm.deploys.filter((d) => d.version === '3.0.0').map((d) => d.key)).toContain(`change:${ids[0]}:apply`);
    const undone = await stateOf(ids[1] as string, ['kept', 'rolled_back', 'failed'], 60_000);
    expect(undone.state).toBe('rolled_back');
    expect(undone.reason).toMatch(/^the change step's outcome is unknown .* not safe to repeat; rolled back$/);
    expect(calm.rollbacks).toContain(`change:${ids[1]}:undo`);
  }, 120_000);

  it('answers 400 saying what to fix for a bad request, 404 for an unknown change', async () => {
    const base = deploy(shop, '9.9.9', 30);
    const notify = await post({ ...base, change: { type: 'notify', notify: { kind: 'webhook', url: `${shop.url}/x`, text: 'hi' } } });
    expect(notify.statusCode).toBe(400);
    expect(notify.json().error).toMatchObject({ code: 'ZEROOPS_CHANGE_INVALID' });
    expect(notify.json().error.message).toContain('/change/type: must be http or kubernetes');
    const { watchSeconds: _w, ...noWatch } = base;
    const missing = await post(noWatch);
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.message).toContain('/watchSeconds');
    const privateTarget = await post({ ...base, undo: { type: 'http', http: { method: 'POST', url: 'http://10.1.2.3/rollback' } } });
    expect(privateTarget.statusCode).toBe(400);
    expect(privateTarget.json().error.message).toMatch(/\/undo\/http\/url/);
    expect((await h.app.inject('/api/v1/changes/ch_nope')).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/changes/ch_nope/cancel' })).statusCode).toBe(404);
  });
});
