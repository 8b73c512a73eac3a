import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutcomeEvent } from '../../../services/bus/messages.ts';
import type { Component } from '../../../services/core/component.ts';
import { signBody } from '../../../services/executor/index.ts';
import { executionSteps, executions } from '../../../services/store/index.ts';
import {
  anomaly,
  collectOutcomes,
  type Harness,
  openHarness,
  publishAnomalies,
  type StepTarget,
  startExecutor,
  startStepTarget,
  until,
  upsertIncident,
} from './harness.ts';

describe('executor: anomaly -> playbook -> signed http step -> verified outcome', () => {
  let h: Harness;
  let target: StepTarget;
  let executor: Component;
  let outcomes: OutcomeEvent[] = [];

  beforeAll(async () => {
    h = await openHarness({ ZEROOPS_HMAC_SECRET: 'sign-key-1' }, { API_TOKEN: 'tok-secret-123' });
    target = await startStepTarget();
    executor = await startExecutor(h);
    outcomes = await collectOutcomes(h, 'test-outcomes');
  });
  afterAll(async () => {
    await executor?.stop();
    await target?.close();
    await h?.close();
  });

  it('runs the chosen playbook once per episode, signs the request, redacts the secret and reports resolved', async () => {
    const app = await h.app();
    const spec = (name: string, priority: number, path: string) => ({
      name,
      mode: 'auto',
      priority,
      match: { service: 'check*', kinds: ['errors'], minSeverity: 'warning' },
      guardrails: { cooldownSeconds: 0, maxConcurrent: 10 },
      steps: [
        {
          id: 'restart',
          type: 'http',
          http: {
            method: 'POST',
            url: `${target.url}${path}/{{anomaly.service}}`,
            headers: { authorization: 'Bearer {{secret.API_TOKEN}}' },
            body: { episode: '{{anomaly.episodeId}}' },
          },
        },
        { id: 'check', type: 'verify', verify: { deadlineSeconds: 20, pollSeconds: 0.1 } },
      ],
    });
    expect((await app.inject({ method: 'POST', url: '/api/v1/playbooks', payload: spec('low', 1, '/low') })).statusCode).toBe(201);
    const high = (await app.inject({ method: 'POST', url: '/api/v1/playbooks', payload: spec('high', 5, '/high') })).json() as { id: string };
    await upsertIncident(h.store, 'ep-http', { state: 'open', lastScore: 0.9 });
    await publishAnomalies(h.bus, h.topics.anomalies, [anomaly({ episodeId: 'ep-http' }), anomaly({ episodeId: 'ep-http', episodeState: 'ongoing' })]);

    const [req] = await target.waitFor((r) => r.path === '/high/checkout', 1);
    expect(JSON.parse(req!.body)).toEqual({ episode: 'ep-http' });
    expect(req!.headers.authorization).toBe('Bearer tok-secret-123');
    expect(req!.headers['x-zeroops-signature']).toBe(signBody('sign-key-1', Number(req!.headers['x-zeroops-timestamp']), req!.body));
    expect(req!.headers['idempotency-key']).toMatch(new RegExp(`^ep-http:${high.id}@1:restart$`));

    await upsertIncident(h.store, 'ep-http', { state: 'closed', lastScore: 0.2 });
    const row = await until('execution finished', async () =>
      (await h.store.db.select().from(executions).where(eq(executions.episodeId, 'ep-http'))).find((e) => e.finishedAt),
    );
    expect(row).toMatchObject({ playbookId: high.id, status: 'succeeded', outcome: 'resolved', scoreAfter: 0.2 });
    expect(target.received.filter((r) => r.path.endsWith('/checkout'))).toHaveLength(1);
    const steps = await h.store.db.select().from(executionSteps).where(eq(executionSteps.executionId, row.id));
    expect(steps.map((s) => [s.name, s.status])).toEqual([
      ['restart', 'succeeded'],
      ['check', 'succeeded'],
    ]);
    expect(JSON.stringify(steps)).not.toContain('tok-secret-123');
    expect(JSON.stringify(steps)).toContain('[redacted]');
    const o = await until('outcome event', async () => outcomes.find((x) => x.executionId === row.id));
    expect(o).toMatchObject({ outcome: 'resolved', playbookVersion: 1, anomalyKind: 'errors', scoreBefore: 0.9 });

    const detail = (await app.inject({ method: 'GET', url: `/api/v1/executions/${row.id}` })).json() as {
      playbookName: string;
      steps: unknown[];
      audit: { action: string }[];
    };
    // The detail names the playbook as the list does.
    expect(detail.playbookName).toBe('high');
    const listed = (await app.inject({ method: 'GET', url: `/api/v1/executions?incident=ep-http` })).json() as {
      items: { id: string; playbookName: string }[];
    };
    expect(listed.items.find((e) => e.id === row.id)?.playbookName).toBe(detail.playbookName);
    expect(detail.steps).toHaveLength(2);
    expect(detail.audit.map((a) => a.action)).toEqual(['execution.decide', 'step.start', 'step.succeeded', 'step.start', 'step.succeeded', 'execution.finish']);
    expect(JSON.stringify(detail)).not.toContain('tok-secret-123');
  });
});
