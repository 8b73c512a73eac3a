/**
 * Forecast-triggered playbooks on both stores (PGlite with the memory bus,
 * Postgres with Kafka), with two executors evaluating at once: the executor
 * scales a real HTTP target out ahead of a recurring surge its load
 * forecast predicts, scales a quiet service in (never below minReplicas),
 * records the forecast that justified each decision (GET
 * /api/v1/executions/:id), applies the guardrails, does nothing without a
 * ready forecast, and never acts twice for one decision.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Component } from '../../../services/core/component.ts';
import { loadConfig } from '../../../services/core/config.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { createTelemetry } from '../../../services/core/telemetry.ts';
import { createExecutor } from '../../../services/executor/index.ts';
import { assertPlaybook, createPlaybook } from '../../../services/playbooks/index.ts';
import { type ExecutionRow, executions, rollups, services } from '../../../services/store/index.ts';
import { type StepTarget, startStepTarget, until } from '../executor/harness.ts';
import { type ReportsHarness, SETUPS, startHarness } from '../reports/harness.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const VALIDATION = { secrets: {}, commandAllowlist: [], httpAllowlist: ['127.0.0.1'] };

describe.each(SETUPS)('forecast-triggered scaling on $name', (setup) => {
  let h: ReportsHarness;
  let target: StepTarget;
  const executors: Component[] = [];
  const now = Date.now();
  // An hourly surge: 15 minutes at 100 req/s, the rest at 20 req/s; the next one starts 5 minutes from now.
  const surgeStart = now + 5 * MIN;
  const surging = (ms: number) => (((ms - surgeStart) % HOUR) + HOUR) % HOUR < 15 * MIN;
  const shopRate = (ms: number) => (surging(ms) ? 100 : 20);
  const calmRate = (ms: number) => 10 + 3 * Math.cos((2 * Math.PI * (ms - now)) / HOUR);

  const scalePlaybook = (service: string, trigger: Record<string, unknown>, guardrails: Record<string, unknown> = {}, mode = 'auto') =>
    assertPlaybook(
      {
        name: `predict-${service}`,
        mode,
        match: { service },
        trigger: { type: 'forecast', ...trigger },
        guardrails: { cooldownSeconds: 0, ...guardrails },
        steps: [
          {
            id: 'scale',
            type: 'http',
            http: { method: 'POST', url: `${target.url}/services/{{anomaly.service}}/scale`, body: { replicas: '{{forecast.replicas}}' } },
          },
        ],
      },
      VALIDATION,
    );

  beforeAll(async () => {
    h = await startHarness(setup);
    target = await startStepTarget();
    await h.store.db.insert(services).values(['shop', 'calm', 'frozen', 'fresh', 'asked', 'metered'].map((name) => ({ name })));
    const rows = [];
    for (let m = 8 * 60; m >= 1; m--) {
      const end = Math.floor((now - m * MIN) / MIN) * MIN;
      const features = (svc: string) => ({ request_rate: svc === 'calm' ? calmRate(end - 30_000) : shopRate(end - 30_000) });
      for (const svc of ['shop', 'calm', 'frozen', 'asked']) rows.push({ service: svc, windowEnd: new Date(end), features: features(svc), score: 0.1 });
      // A service that reports what one replica serves (as a gauge the detector keeps as a feature).
      rows.push({ service: 'metered', windowEnd: new Date(end), features: { ...features('metered'), 'metric:capacity_rps': 60 }, score: 0.1 });
    }
    await h.store.db.insert(rollups).values(rows);
    // The surge (100 req/s) needs 4 replicas of 30 req/s: capped at 3, so that the count wanted stays put while the forecast moves with the clock.
    const trigger = { leadSeconds: 900, capacity: { perReplica: 30 }, minReplicas: 1, maxReplicas: 3 };
    await createPlaybook(h.store.db, scalePlaybook('shop', trigger), 'test');
    await createPlaybook(h.store.db, scalePlaybook('calm', { ...trigger, minReplicas: 2, initialReplicas: 5, maxReplicas: 6 }), 'test');
    await createPlaybook(h.store.db, scalePlaybook('fresh', trigger), 'test');
    await createPlaybook(h.store.db, scalePlaybook('asked', trigger, {}, 'suggest'), 'test');
    await createPlaybook(h.store.db, scalePlaybook('metered', { ...trigger, capacity: { metric: 'metric:capacity_rps' }, maxReplicas: 2 }), 'test');
    const freeze = { freezeWindows: [{ start: new Date(now - HOUR).toISOString(), end: new Date(now + 2 * HOUR).toISOString(), reason: 'test freeze' }] };
    await createPlaybook(h.store.db, scalePlaybook('frozen', trigger, freeze), 'test');
    const config = loadConfig({ ZEROOPS_HTTP_ALLOWLIST: '127.0.0.1', ZEROOPS_TOPIC_PARTITIONS: '2' });
    // Two executors over one store evaluate the same playbooks at once, as two executor processes would.
    for (const worker of ['exec-a', 'exec-b']) {
      const options = { pollMs: 100, leaseMs: 2_000, forecastEvalMs: 200, workerId: worker };
      const ex = createExecutor({ bus: h.bus, store: h.store, logger: silentLogger(), telemetry: createTelemetry(), topics: h.topics, options }, config);
      await ex.start();
      executors.push(ex);
    }
  }, 180_000);
  afterAll(async () => {
    for (const ex of executors) await ex.stop();
    await target?.close();
    await h?.close();
  });

  const executionsOf = (service: string) => h.store.db.select().from(executions).where(eq(executions.service, service));
  const finished = (service: string) =>
    until(`a finished forecast execution for ${service}`, async () => (await executionsOf(service)).find((r) => r.finishedAt !== null), 60_000);
  // Several evaluation rounds of both executors pass, so that a duplicate would show up.
  const rounds = () => new Promise((r) => setTimeout(r, 2_000));
  const scaleCalls = (service: string) => target.received.filter((r) => r.path === `/services/${service}/scale`);

  it('scales out ahead of the predicted surge, once, with the wanted replicas as {{forecast.replicas}} and the forecast recorded', async () => {
    const row: ExecutionRow = await finished('shop');
    expect(row).toMatchObject({ status: 'succeeded', outcome: 'resolved' });
    const f = row.forecast as Record<string, number | string | unknown[]>;
    expect(f.action).toBe('scale_out');
    expect(f.currentReplicas).toBe(1);
    // The surge (100 req/s) needs 4 replicas of 30 req/s: maxReplicas (3).
    expect(f.replicas).toBe(3);
    expect(f.peakUpper).toBeGreaterThan(90);
    expect(f.reason).toMatch(/forecast upper bound .* within 900 s exceeds 1 replica\(s\) x 30.0 req\/s = 30.0 req\/s: scale out to 3$/);
    expect((f.points as unknown[]).length).toBeGreaterThan(0);
    await rounds();
    const calls = scaleCalls('shop');
    expect(calls).toHaveLength(1);
    expect(JSON.parse(calls[0]?.body ?? '{}')).toEqual({ replicas: f.replicas });
    expect(await executionsOf('shop')).toHaveLength(1);
    const api = (await h.app.inject(`/api/v1/executions/${row.id}`)).json();
    expect(api.forecast).toMatchObject({ action: 'scale_out', replicas: f.replicas, perReplica: 30, leadSeconds: 900 });
    expect(api.forecast.basis).toMatch(/seasonal cycle/);
    const decided = api.audit.find((a: { action: string }) => a.action === 'execution.decide');
    expect(decided.details.forecast.replicas).toBe(f.replicas);
  });

  it('scales a quiet service in when the forecast stays low, not below minReplicas, and then holds', async () => {
    const row = await finished('calm');
    expect(row).toMatchObject({ status: 'succeeded', outcome: 'resolved' });
    expect(row.forecast).toMatchObject({ action: 'scale_in', currentReplicas: 5, replicas: 2 });
    await rounds();
    expect(scaleCalls('calm').map((c) => JSON.parse(c.body))).toEqual([{ replicas: 2 }]);
    expect(await executionsOf('calm')).toHaveLength(1);
  });

  it('applies the guardrails: inside a freeze window the decision is recorded as skipped, once, and nothing is called', async () => {
    const row = await until('the skipped decision for frozen', async () => (await executionsOf('frozen'))[0], 60_000);
    expect(row).toMatchObject({ status: 'skipped', outcome: 'skipped' });
    expect(row.reason).toMatch(/^guardrail freeze_window: inside freeze window \(test freeze\)/);
    expect(row.forecast).toMatchObject({ action: 'scale_out' });
    await rounds();
    expect(await executionsOf('frozen')).toHaveLength(1);
    expect(scaleCalls('frozen')).toHaveLength(0);
  });

  it('in suggest mode waits for approval, and does not propose a rejected count again', async () => {
    const row = await until('the suggestion for asked', async () => (await executionsOf('asked'))[0], 60_000);
    expect(row).toMatchObject({ status: 'awaiting_approval', forecast: { action: 'scale_out', currentReplicas: 1 } });
    await rounds();
    expect(await executionsOf('asked')).toHaveLength(1);
    const rejected = await h.app.inject({ method: 'POST', url: `/api/v1/executions/${row.id}/reject`, payload: { note: 'not now' } });
    expect(rejected.statusCode).toBe(200);
    await rounds();
    expect(await executionsOf('asked')).toHaveLength(1);
    expect(scaleCalls('asked')).toHaveLength(0);
  });

  it('takes the capacity per replica from a metric of the service', async () => {
    const row = await finished('metered');
    const f = row.forecast as { perReplica: number; replicas: number; peakUpper: number; reason: string };
    expect(f.perReplica).toBe(60);
    // Over 60 req/s at the surge: 2 replicas of 60 (the maximum here).
    expect(f.peakUpper).toBeGreaterThan(60);
    expect(f.replicas).toBe(2);
    expect(f.reason).toMatch(/x 60.0 req\/s/);
    await rounds();
    expect(scaleCalls('metered').map((c) => JSON.parse(c.body))).toEqual([{ replicas: f.replicas }]);
  });

  it('does nothing for a service whose forecast is not ready', async () => {
    await finished('shop');
    await rounds();
    expect(await executionsOf('fresh')).toHaveLength(0);
    expect(scaleCalls('fresh')).toHaveLength(0);
  });

  it('answers a bad forecast trigger with a 400 that names each field to fix', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/playbooks',
      payload: {
        name: 'bad-forecast',
        mode: 'auto',
        match: { service: 'shop', kinds: ['traffic'] },
        trigger: { type: 'forecast', capacity: {}, minReplicas: 5, maxReplicas: 2 },
        steps: [{ id: 'check', type: 'verify', verify: { deadlineSeconds: 60 } }],
      },
    });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error.code).toBe('ZEROOPS_PLAYBOOK_INVALID');
    const paths = (body.error.details as { path: string; message: string }[]).map((d) => `${d.path}: ${d.message}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/trigger\/leadSeconds: a forecast trigger needs leadSeconds/),
        expect.stringMatching(/^\/trigger\/capacity: give exactly one of capacity.perReplica/),
        expect.stringMatching(/^\/trigger\/minReplicas: minReplicas \(5\) must not exceed maxReplicas \(2\)/),
        expect.stringMatching(/^\/match\/kinds: a forecast-triggered playbook matches services only/),
        expect.stringMatching(/^\/steps\/0: a verify step waits for an anomaly episode to close/),
      ]),
    );
  });
});
