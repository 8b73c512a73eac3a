/**
 * Graduated autonomy through the real executor and trainer (in-process bus,
 * Postgres and PGlite): a playbook declared in `observe` sees two would-run
 * matches and moves to `suggest`; two approved runs that resolve their
 * episodes take it to `auto`, where the next anomaly runs without approval.
 * Then a run that makes its anomaly worse takes it back down to `suggest`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiApp, buildApiApp } from '../../../services/api/app.ts';
import { type Bus, createMemoryBus, topicNames } from '../../../services/bus/index.ts';
import type { Component } from '../../../services/core/component.ts';
import { loadConfig } from '../../../services/core/config.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { createTelemetry } from '../../../services/core/telemetry.ts';
import { createExecutor } from '../../../services/executor/index.ts';
import { createStore, type Store } from '../../../services/store/index.ts';
import { createTrainer } from '../../../services/trainer/index.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.ts';
import { anomaly, publishAnomalies, until, upsertIncident } from '../executor/harness.ts';

interface Execution {
  id: string;
  episodeId: string;
  status: string;
  outcome: string | null;
  mode: string;
}

describe.each(['postgres', 'pglite'] as const)('autonomy earned through real runs on %s', (storeKind) => {
  let pg: TestDatabase | undefined;
  let store: Store;
  let bus: Bus;
  let app: ApiApp;
  const parts: Component[] = [];
  const topics = topicNames('');
  let id = '';

  beforeAll(async () => {
    pg = storeKind === 'postgres' ? await createTestDatabase() : undefined;
    store = await createStore({ databaseUrl: pg?.url ?? '', dataDir: ':memory:', poolSize: 4, connectTimeoutMs: 5_000, logger: silentLogger() });
    bus = createMemoryBus({ partitions: 2 });
    await bus.connect();
    const config = loadConfig({ ZEROOPS_TOPIC_PARTITIONS: '2' });
    const base = { bus, store, logger: silentLogger(), telemetry: createTelemetry(), topics };
    app = await buildApiApp({ ...base, config });
    parts.push(createExecutor({ ...base, options: { pollMs: 100 } }, config), createTrainer(base, config));
    for (const p of parts) await p.start();
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/playbooks',
      payload: {
        name: 'earn-it',
        mode: 'observe',
        match: { service: 'billing' },
        guardrails: { cooldownSeconds: 0, maxConcurrent: 10 },
        steps: [{ id: 'check', type: 'verify', verify: { deadlineSeconds: 5, pollSeconds: 0.1 } }],
        autonomy: { suggest: { successes: 0, lcb: 0, observed: 2 }, auto: { successes: 2, lcb: 0.2 } },
      },
    });
    expect(r.statusCode, r.body).toBe(201);
    id = (r.json() as { id: string }).id;
  });
  afterAll(async () => {
    for (const p of parts) await p.stop();
    await app?.close();
    await bus?.close();
    await store?.close();
    await pg?.drop();
  });

  const executionOf = (ep: string, decided = true) =>
    until(`the execution of ${ep}`, async () => {
      const r = (await app.inject({ method: 'GET', url: '/api/v1/executions?service=billing' })).json() as { items: Execution[] };
      return r.items.find((x) => x.episodeId === ep && (x.outcome || !decided));
    });
  const autonomy = async () => (await app.inject({ method: 'GET', url: `/api/v1/playbooks/${id}` })).json().autonomy as Record<string, unknown>;
  const anomalyOn = async (ep: string) => {
    await upsertIncident(store, ep, { service: 'billing', state: 'open' });
    await publishAnomalies(bus, topics.anomalies, [anomaly({ service: 'billing', episodeId: ep })]);
  };

  it('observe -> suggest after two would-run matches, -> auto after two approved fixes; then it runs unattended', async () => {
    for (const ep of ['obs-1', 'obs-2']) {
      await anomalyOn(ep);
      expect(await executionOf(ep)).toMatchObject({ status: 'skipped', mode: 'observe' });
    }
    await until('suggest', async () => (await autonomy()).effectiveMode === 'suggest');
    for (const ep of ['sug-1', 'sug-2']) {
      await anomalyOn(ep);
      const ex = await executionOf(ep);
      expect(ex).toMatchObject({ status: 'awaiting_approval', mode: 'suggest' });
      expect((await app.inject({ method: 'POST', url: `/api/v1/executions/${ex.id}/approve` })).statusCode).toBe(200);
      // The fix works: the episode closes while the verify step waits.
      await upsertIncident(store, ep, { service: 'billing', state: 'closed', lastScore: 0.1 });
      await until(`${ep} resolved`, async () => (await executionOf(ep)).outcome === 'resolved');
    }
    const a = await until('auto', async () => {
      const s = await autonomy();
      return s.effectiveMode === 'auto' && s;
    });
    expect(a.record).toMatchObject({ successes: 2, failures: 0 });
    expect((a.changes as { to: string; actor: string }[]).map((c) => [c.actor, c.to])).toEqual([
      ['trainer', 'auto'],
      ['trainer', 'suggest'],
    ]);
    await anomalyOn('auto-1');
    // No approval: it is running (its verify step waits for the episode to close).
    expect(await executionOf('auto-1', false)).toMatchObject({ mode: 'auto', outcome: null });
    await upsertIncident(store, 'auto-1', { service: 'billing', state: 'closed', lastScore: 0.1 });
    expect(await executionOf('auto-1')).toMatchObject({ mode: 'auto', outcome: 'resolved' });
  });

  it('a run whose anomaly got worse demotes it from auto to suggest, audited; the next anomaly waits for approval again', async () => {
    // Starts in auto (the previous test earned it). The anomaly scores 0.5; while its verify step waits, the episode's
    // score climbs to 0.99: at the deadline the step judges made_worse.
    expect((await autonomy()).effectiveMode).toBe('auto');
    await upsertIncident(store, 'worse-1', { service: 'billing', state: 'open', lastScore: 0.5 });
    await publishAnomalies(bus, topics.anomalies, [anomaly({ service: 'billing', episodeId: 'worse-1', score: 0.5 })]);
    expect(await executionOf('worse-1', false)).toMatchObject({ mode: 'auto', outcome: null });
    await upsertIncident(store, 'worse-1', { service: 'billing', state: 'open', lastScore: 0.99 });
    expect(await executionOf('worse-1')).toMatchObject({ mode: 'auto', outcome: 'made_worse' });
    const a = await until('the demotion', async () => {
      const s = await autonomy();
      return s.effectiveMode === 'suggest' && s;
    });
    expect(a.record).toMatchObject({ successes: 3, failures: 1 });
    // `changes` is read from the audit log, newest first.
    const changes = a.changes as { to: string; actor: string; reason?: string }[];
    expect(changes.map((c) => [c.actor, c.to])).toEqual([
      ['trainer', 'suggest'],
      ['trainer', 'auto'],
      ['trainer', 'suggest'],
    ]);
    expect(changes[0]?.reason).toMatch(/worse/);
    await anomalyOn('after-worse');
    expect(await executionOf('after-worse', false)).toMatchObject({ status: 'awaiting_approval', mode: 'suggest' });
  });
});
