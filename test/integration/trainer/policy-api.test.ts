/**
 * The policy through the API and the executor, on both stores (Postgres,
 * PGlite) with the in-process bus: posteriors with pooled priors on
 * GET /api/v1/policy, pinning a playbook's mode (audited, visible on the
 * playbook), and the executor choosing between two matching playbooks by
 * their record, in the effective mode, with the decision on the execution.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiApp, buildApiApp } from '../../../services/api/app.ts';
import { type Bus, createMemoryBus, topicNames } from '../../../services/bus/index.ts';
import type { OutcomeEvent } from '../../../services/bus/messages.ts';
import type { Component } from '../../../services/core/component.ts';
import { loadConfig } from '../../../services/core/config.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { createTelemetry } from '../../../services/core/telemetry.ts';
import { createExecutor } from '../../../services/executor/index.ts';
import { createStore, type Store } from '../../../services/store/index.ts';
import { applyOutcomeEvent } from '../../../services/trainer/index.ts';
import { outcomeEvent } from '../../fixtures/outcome.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.ts';
import { anomaly, publishAnomalies, until } from '../executor/harness.ts';

const outcome = (playbookId: string, service: string, o: string) =>
  outcomeEvent({ playbookId, service, outcome: o as OutcomeEvent['outcome'], anomalyKind: 'errors' });

describe.each(['postgres', 'pglite'] as const)('policy API and choice on %s', (storeKind) => {
  let pg: TestDatabase | undefined;
  let store: Store;
  let bus: Bus;
  let app: ApiApp;
  let executor: Component | undefined;
  const topics = topicNames('');
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    pg = storeKind === 'postgres' ? await createTestDatabase() : undefined;
    store = await createStore({ databaseUrl: pg?.url ?? '', dataDir: ':memory:', poolSize: 4, connectTimeoutMs: 5_000, logger: silentLogger() });
    bus = createMemoryBus({ partitions: 2 });
    await bus.connect();
    const config = loadConfig({ ZEROOPS_HTTP_ALLOWLIST: '127.0.0.1', ZEROOPS_TOPIC_PARTITIONS: '2' });
    app = await buildApiApp({ store, bus, config, logger: silentLogger(), telemetry: createTelemetry(), topics });
    for (const [name, priority] of [
      ['good', 0],
      ['bad', 10],
    ] as const) {
      const r = await app.inject({
        method: 'POST',
        url: '/api/v1/playbooks',
        payload: {
          name,
          mode: 'auto',
          priority,
          match: { service: 'checkout', kinds: ['errors'] },
          guardrails: { cooldownSeconds: 0, maxConcurrent: 10 },
          steps: [{ id: 'w', type: 'wait', wait: { seconds: 0 } }],
        },
      });
      expect(r.statusCode, r.body).toBe(201);
      ids[name] = (r.json() as { id: string }).id;
    }
    executor = createExecutor({ bus, store, logger: silentLogger(), telemetry: createTelemetry(), topics, options: { pollMs: 100 } }, config);
    await executor.start();
  });
  afterAll(async () => {
    await executor?.stop();
    await app?.close();
    await bus?.close();
    await store?.close();
    await pg?.drop();
  });

  it('GET /api/v1/policy shows each arm with its own record and the prior pooled from other services', async () => {
    const good = ids.good as string;
    const bad = ids.bad as string;
    for (let i = 0; i < 8; i++) await applyOutcomeEvent(store.db, outcome(good, 'cart', 'resolved'));
    for (let i = 0; i < 30; i++) await applyOutcomeEvent(store.db, outcome(good, 'checkout', 'resolved'));
    for (let i = 0; i < 30; i++) await applyOutcomeEvent(store.db, outcome(bad, 'checkout', i % 3 === 0 ? 'made_worse' : 'not_resolved'));
    const r = await app.inject({ method: 'GET', url: '/api/v1/policy?service=checkout' });
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json() as { signatures: { signature: string; arms: Record<string, unknown>[] }[] };
    expect(body.signatures).toHaveLength(1);
    const [first, second] = body.signatures[0]?.arms ?? [];
    expect(first).toMatchObject({ playbookId: good, playbookName: 'good', successes: 30, failures: 0, prior: { alpha: 5, beta: 1 }, alpha: 35, beta: 1 });
    expect(second).toMatchObject({ playbookId: bad, successes: 0, failures: 30, prior: { alpha: 1, beta: 1 } });
    expect(first?.lowerBound as number).toBeGreaterThan(0.9);
    const missing = await app.inject({ method: 'GET', url: '/api/v1/policy' });
    expect(missing.statusCode).toBe(400);
    expect((missing.json() as { error: { code: string } }).error.code).toMatch(/^ZEROOPS_/);
  });

  it('the executor picks the playbook with the better record over the higher priority, and records why', async () => {
    await publishAnomalies(bus, topics.anomalies, [anomaly({ service: 'checkout', kind: 'errors', episodeId: 'ep-choice' })]);
    const list = await until('an execution', async () => {
      const r = (await app.inject({ method: 'GET', url: '/api/v1/executions?service=checkout' })).json() as { items: { id: string; episodeId: string }[] };
      return r.items.find((x) => x.episodeId === 'ep-choice');
    });
    const detail = (await app.inject({ method: 'GET', url: `/api/v1/executions/${list.id}` })).json() as Record<string, unknown>;
    expect(detail).toMatchObject({ playbookId: ids.good, policyDecision: { chosenPlaybookId: ids.good, signature: 'checkout|errors|' } });
    const cands = (detail.policyDecision as { candidates: { playbookId: string; sampled: number; alpha: number }[] }).candidates;
    expect(cands.map((c) => c.playbookId).sort()).toEqual([ids.good, ids.bad].sort());
    expect(cands.every((c) => typeof c.sampled === 'number')).toBe(true);
  });

  it('a pinned mode is validated, audited, shown on the playbook and used by the executor', async () => {
    const bad = await app.inject({ method: 'POST', url: `/api/v1/playbooks/${ids.good}/mode`, payload: { mode: 'sometimes' } });
    expect(bad.statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/api/v1/playbooks/nope/mode', payload: { mode: 'auto' } })).statusCode).toBe(404);
    const pin = await app.inject({ method: 'POST', url: `/api/v1/playbooks/${ids.good}/mode`, payload: { mode: 'suggest', note: 'review first' } });
    expect(pin.statusCode, pin.body).toBe(200);
    expect(pin.json()).toMatchObject({
      effectiveMode: 'suggest',
      pinned: true,
      changes: [{ action: 'playbook.mode.pin', note: 'review first', from: 'auto' }],
    });
    const shown = (await app.inject({ method: 'GET', url: `/api/v1/playbooks/${ids.good}/autonomy` })).json();
    expect(shown).toMatchObject({ declaredMode: 'auto', effectiveMode: 'suggest', record: { successes: 0 } });
    const pb = (await app.inject({ method: 'GET', url: `/api/v1/playbooks/${ids.good}` })).json() as { autonomy: Record<string, unknown> };
    expect(pb.autonomy).toMatchObject({ declaredMode: 'auto', effectiveMode: 'suggest', pinned: true });
    expect((pb.autonomy.changes as { action: string; to: string; actor: string }[])[0]).toMatchObject({ action: 'playbook.mode.pin', to: 'suggest' });
    await publishAnomalies(bus, topics.anomalies, [anomaly({ service: 'checkout', kind: 'errors', episodeId: 'ep-pinned' })]);
    const ex = await until('a suggestion', async () => {
      const r = (await app.inject({ method: 'GET', url: '/api/v1/executions?service=checkout' })).json() as {
        items: { episodeId: string; status: string; playbookId: string }[];
      };
      return r.items.find((x) => x.episodeId === 'ep-pinned');
    });
    expect(ex).toMatchObject({ playbookId: ids.good, status: 'awaiting_approval' });
  });
});
