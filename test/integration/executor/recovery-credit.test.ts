import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiApp } from '../../../services/api/app.ts';
import type { AnomalyEvent, OutcomeEvent } from '../../../services/bus/messages.ts';
import type { Component } from '../../../services/core/component.ts';
import { type AnomalySink, createAnomalySink } from '../../../services/detector/anomaly-sink.ts';
import { executions, incidents } from '../../../services/store/index.ts';
import { anomaly, collectOutcomes, type Harness, type HarnessStore, openHarness, type StepTarget, startExecutor, startStepTarget, until } from './harness.ts';

/**
 * A playbook is credited with a recovery only when the recovery began after
 * it acted. The detector's sink writes the incident, and on close when its
 * recovery began (the close event's recoveryStartUnixMs); a real executor
 * runs a playbook whose http step reaches a real HTTP server, then verifies.
 * A recovery that began before the step was sent (an operator cleared the
 * fault by hand) is `recovered_before_action` and the incident `self`; one
 * that began after it is `resolved` by `auto`.
 */
describe.each<HarnessStore>(['pglite', 'postgres'])('crediting a recovery to the action that preceded it (%s)', (storeKind) => {
  let h: Harness;
  let app: ApiApp;
  let sink: AnomalySink;
  let target: StepTarget;
  let executor: Component;
  let outcomes: OutcomeEvent[] = [];
  beforeAll(async () => {
    h = await openHarness({}, {}, storeKind);
    app = await h.app();
    sink = createAnomalySink({ store: h.store, bus: h.bus, anomaliesTopic: h.topics.anomalies });
    target = await startStepTarget();
    executor = await startExecutor(h);
    outcomes = await collectOutcomes(h, `recovery-credit-${storeKind}`);
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/playbooks',
      payload: {
        name: 'restart-on-errors',
        mode: 'auto',
        match: { service: 'cart-*' },
        guardrails: { cooldownSeconds: 0, maxConcurrent: 10 },
        steps: [
          { id: 'restart', type: 'http', http: { method: 'POST', url: `${target.url}/restart/{{anomaly.service}}` } },
          { id: 'verify', type: 'verify', verify: { deadlineSeconds: 20, pollSeconds: 0.1 } },
        ],
      },
    });
    expect(r.statusCode, r.body).toBe(201);
  });
  afterAll(async () => {
    await executor?.stop();
    await target?.close();
    await h?.close();
  });

  /** Runs one episode of `service`: opens it, waits for the restart request, closes it with a recovery that began at `recoveryStart(stepSentAt)`. */
  const episode = async (service: string, recoveryStart: (openedAt: number, requestedAt: number) => number) => {
    const openedAt = Date.now() - 1_000;
    const episodeId = `${service}:${openedAt}`;
    const event = (over: Partial<AnomalyEvent>) =>
      anomaly({ service, episodeId, id: `${episodeId}@${over.windowEndUnixMs}`, windowStartUnixMs: (over.windowEndUnixMs as number) - 1_000, ...over });
    await sink.emit(event({ windowEndUnixMs: openedAt, episodeState: 'open' }));
    await target.waitFor((r) => r.path === `/restart/${service}`, 1);
    const requestedAt = Date.now();
    const closeAt = requestedAt + 100;
    await sink.emit(event({ windowEndUnixMs: closeAt, episodeState: 'closed', score: 0.1, recoveryStartUnixMs: recoveryStart(openedAt, requestedAt) }));
    const row = await until(`execution of ${episodeId} finished`, async () =>
      (await h.store.db.select().from(executions).where(eq(executions.episodeId, episodeId))).find((e) => e.finishedAt),
    );
    const [incident] = await h.store.db.select().from(incidents).where(eq(incidents.id, episodeId));
    return { row, incident };
  };

  it('a recovery that began before the first action is not credited: recovered_before_action, resolved by self', async () => {
    // Cleared by hand 0.5 s after the episode opened, before the executor sent its restart.
    const { row, incident } = await episode('cart-by-hand', (openedAt) => openedAt + 500);
    expect(row).toMatchObject({ status: 'succeeded', outcome: 'recovered_before_action' });
    expect(row.reason).toContain('before the first action was sent');
    expect(incident).toMatchObject({ state: 'closed', resolvedBy: 'self' });
    expect(incident?.recoveryStartedAt).toBeInstanceOf(Date);
    expect(await until('outcome event', async () => outcomes.find((o) => o.executionId === row.id))).toMatchObject({
      outcome: 'recovered_before_action',
    });
    const listed = (await app.inject({ method: 'GET', url: '/api/v1/executions?outcome=recovered_before_action' })).json() as {
      items: { id: string; outcome: string }[];
    };
    expect(listed.items.map((e) => e.id)).toContain(row.id);
  });

  it('a recovery that began after the action is credited: resolved, by auto', async () => {
    const { row, incident } = await episode('cart-fixed', (_openedAt, requestedAt) => requestedAt);
    expect(row).toMatchObject({ status: 'succeeded', outcome: 'resolved' });
    expect(incident).toMatchObject({ state: 'closed', resolvedBy: 'auto' });
  });
});
