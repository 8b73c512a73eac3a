import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiApp } from '../../../services/api/app.ts';
import type { Component } from '../../../services/core/component.ts';
import { auditLog, deployments, executionSteps, executions } from '../../../services/store/index.ts';
import { anomaly, type Harness, type HarnessStore, openHarness, publishAnomalies, startExecutor, until, upsertIncident } from './harness.ts';

/**
 * Step conditions (`when:`) run by a real executor against a real HTTP
 * target: the operation the evidence points to is the first request sent
 * (a recent deployment: roll back; more requests than expected: scale
 * out; neither: restart), a wait follows only an operation that changed
 * something (a rollback answered 409 did not), and every step a condition
 * skipped is recorded as `skipped` with the values its condition read and a
 * `step.skipped` audit record.
 */

/** A control plane stand-in: records each request's path; a rollback of a service whose name says `first` answers 409 (nothing to roll back), the rest 202. */
async function startControl(): Promise<{ url: string; paths: string[]; close(): Promise<void> }> {
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = req.url ?? '';
      paths.push(path);
      const status = path.startsWith('/rollback/') && path.includes('first') ? 409 : 202;
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    paths,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const op = (id: string, what: string, when: string, url: string, extra: Record<string, unknown> = {}) => ({
  id,
  when,
  type: 'http',
  http: { method: 'POST', url: `${url}/${what}/{{anomaly.service}}`, ...extra },
});

describe.each<HarnessStore>(['pglite', 'postgres'])('step conditions (%s)', (storeKind) => {
  let h: Harness;
  let app: ApiApp;
  let control: Awaited<ReturnType<typeof startControl>>;
  let executor: Component;
  beforeAll(async () => {
    h = await openHarness({}, {}, storeKind);
    app = await h.app();
    control = await startControl();
    executor = await startExecutor(h);
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/playbooks',
      payload: {
        name: 'evidence-first',
        mode: 'auto',
        match: { service: 'svc-*' },
        guardrails: { cooldownSeconds: 0, maxConcurrent: 10, skipWhenFlapping: false },
        steps: [
          op('rollback', 'rollback', 'deploy.ageSeconds <= 3600', control.url, { expectStatus: [200, 202, 409] }),
          { id: 'settle-rollback', when: 'steps.rollback.status in [200, 202]', type: 'wait', wait: { seconds: 0.2 } },
          op('scale-out', 'scale', 'anomaly.attributes["zeroops.demand"] == "above"', control.url),
          op('restart', 'restart', '!(steps.rollback.status in [200, 202]) && !steps.scale-out.ran', control.url),
          { id: 'check', type: 'verify', verify: { deadlineSeconds: 20, pollSeconds: 0.1 } },
        ],
      },
    });
    expect(r.statusCode, r.body).toBe(201);
  });
  afterAll(async () => {
    await executor?.stop();
    await control?.close();
    await h?.close();
  });

  /** Opens an episode of `service`, waits for the first control-plane request, closes it; returns the requests, the steps and the execution. */
  const episode = async (service: string, attributes: Record<string, string> = {}) => {
    const episodeId = `${service}:${Date.now()}`;
    await upsertIncident(h.store, episodeId, { service });
    await publishAnomalies(h.bus, h.topics.anomalies, [anomaly({ service, episodeId, attributes })]);
    await until(`a request for ${service}`, async () => control.paths.some((p) => p.endsWith(`/${service}`)));
    // The verify step is the last: once it polls, every operation the conditions let through was sent.
    await until(`${service} verifying`, async () => {
      const ex = (await h.store.db.select().from(executions).where(eq(executions.episodeId, episodeId)))[0];
      if (!ex) return false;
      const rows = await h.store.db.select().from(executionSteps).where(eq(executionSteps.executionId, ex.id));
      return rows.some((s) => s.name === 'check');
    });
    await upsertIncident(h.store, episodeId, { service, state: 'closed', lastScore: 0.1 });
    const ex = await until(`${service} finished`, async () =>
      (await h.store.db.select().from(executions).where(eq(executions.episodeId, episodeId))).find((e) => e.finishedAt),
    );
    const steps = await h.store.db.select().from(executionSteps).where(eq(executionSteps.executionId, ex.id)).orderBy(asc(executionSteps.stepIndex));
    const skippedAudit = await h.store.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.subjectId, ex.id), eq(auditLog.action, 'step.skipped')));
    return {
      sent: control.paths.filter((p) => p.endsWith(`/${service}`)).map((p) => p.split('/')[1]),
      status: Object.fromEntries(steps.map((s) => [s.name, s.status])),
      steps,
      skippedAudit,
      ex,
    };
  };

  const deployed = async (service: string) => {
    const at = new Date(Date.now() - 60_000);
    await h.store.db.insert(deployments).values({ id: `${service}@1.5.0`, service, oldVersion: '1.4.0', newVersion: '1.5.0', firstSeen: at, lastSeen: at });
  };

  it('no deployment and no extra demand: the restart is the first and only request; the others are recorded as skipped', async () => {
    const r = await episode('svc-stuck');
    expect(r.sent).toEqual(['restart']);
    expect(r.status).toEqual({ rollback: 'skipped', 'settle-rollback': 'skipped', 'scale-out': 'skipped', restart: 'succeeded', check: 'succeeded' });
    expect(r.steps.find((s) => s.name === 'rollback')?.response).toEqual({ when: 'deploy.ageSeconds <= 3600', read: { 'deploy.ageSeconds': null } });
    expect(r.skippedAudit.map((a) => (a.details as { step: string }).step).sort()).toEqual(['rollback', 'scale-out', 'settle-rollback']);
    expect(r.ex).toMatchObject({ status: 'succeeded', outcome: 'resolved' });
  });

  it('a deployment a minute before: the rollback goes first, its settle wait runs, nothing else is sent', async () => {
    await deployed('svc-deployed');
    const r = await episode('svc-deployed');
    expect(r.sent).toEqual(['rollback']);
    expect(r.status).toMatchObject({ rollback: 'succeeded', 'settle-rollback': 'succeeded', 'scale-out': 'skipped', restart: 'skipped' });
  });

  it('a rollback answered 409 changed nothing: no wait after it, the restart follows', async () => {
    await deployed('svc-first');
    const r = await episode('svc-first');
    expect(r.sent).toEqual(['rollback', 'restart']);
    expect(r.status).toMatchObject({ rollback: 'succeeded', 'settle-rollback': 'skipped', restart: 'succeeded' });
    expect(r.steps.find((s) => s.name === 'settle-rollback')?.response).toEqual({
      when: 'steps.rollback.status in [200, 202]',
      read: { 'steps.rollback.status': 409 },
    });
  });

  it('clearly more requests than expected (zeroops.demand above): the scale-out is the only request', async () => {
    const r = await episode('svc-surge', { 'zeroops.demand': 'above' });
    expect(r.sent).toEqual(['scale']);
    expect(r.status).toMatchObject({ rollback: 'skipped', 'scale-out': 'succeeded', restart: 'skipped' });
  });

  /** Opens an episode of `service`, closes it once the playbook's restart arrived, and returns the finished execution. */
  const closedAfterRestart = async (service: string) => {
    const episodeId = `${service}:${Date.now()}`;
    await upsertIncident(h.store, episodeId, { service });
    await publishAnomalies(h.bus, h.topics.anomalies, [anomaly({ service, episodeId })]);
    await until('the restart', async () => control.paths.includes(`/restart/${service}`));
    await upsertIncident(h.store, episodeId, { service, state: 'closed', lastScore: 0.1 });
    return until(`${service} finished`, async () =>
      (await h.store.db.select().from(executions).where(eq(executions.episodeId, episodeId))).find((e) => e.finishedAt),
    );
  };

  it('a wait with untilEpisodeCloses ends once the episode closed; the execution then ends resolved without the next operation', async () => {
    const r0 = await app.inject({
      method: 'POST',
      url: '/api/v1/playbooks',
      payload: {
        name: 'settle-until-closed',
        mode: 'auto',
        match: { service: 'wait-*' },
        guardrails: { cooldownSeconds: 0, maxConcurrent: 10, skipWhenFlapping: false },
        steps: [
          op('restart', 'restart', 'true', control.url),
          // Ten minutes, far beyond the test's patience: only the episode closing ends it.
          { id: 'settle', type: 'wait', wait: { seconds: 600, untilEpisodeCloses: true, pollSeconds: 0.1 } },
          op('scale-out', 'scale', 'true', control.url),
        ],
      },
    });
    expect(r0.statusCode, r0.body).toBe(201);
    const service = 'wait-fixed';
    const ex = await closedAfterRestart(service);
    expect(ex).toMatchObject({ status: 'succeeded', outcome: 'resolved', reason: 'episode closed before step scale-out; remaining steps not run' });
    const settle = (await h.store.db.select().from(executionSteps).where(eq(executionSteps.executionId, ex.id))).find((st) => st.name === 'settle');
    expect(settle).toMatchObject({ status: 'succeeded', response: { response: { episodeClosed: true } } });
    expect(control.paths.filter((p) => p.endsWith(`/${service}`))).toEqual([`/restart/${service}`]);
  });

  it('guardrail endWaitsWhenClosed ends every wait of the playbook once the episode closed', async () => {
    const r0 = await app.inject({
      method: 'POST',
      url: '/api/v1/playbooks',
      payload: {
        name: 'settle-by-guardrail',
        mode: 'auto',
        match: { service: 'guard-*' },
        guardrails: { cooldownSeconds: 0, maxConcurrent: 10, skipWhenFlapping: false, endWaitsWhenClosed: true },
        steps: [
          op('restart', 'restart', 'true', control.url),
          { id: 'settle', type: 'wait', wait: { seconds: 600 } },
          op('scale-out', 'scale', 'true', control.url),
        ],
      },
    });
    expect(r0.statusCode, r0.body).toBe(201);
    const service = 'guard-fixed';
    const ex = await closedAfterRestart(service);
    expect(ex).toMatchObject({ status: 'succeeded', outcome: 'resolved', reason: 'episode closed before step scale-out; remaining steps not run' });
    expect(control.paths.filter((p) => p.endsWith(`/${service}`))).toEqual([`/restart/${service}`]);
  });

  it('refuses a condition naming an unknown or later step, an unknown root or bad syntax, with the step path (400)', async () => {
    const post = (when: string, at = 0) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/playbooks',
        payload: {
          name: `bad-${Math.random().toString(36).slice(2, 8)}`,
          mode: 'auto',
          match: { service: 'x' },
          steps: [
            { id: 'a', type: 'wait', wait: { seconds: 1 }, ...(at === 0 ? { when } : {}) },
            { id: 'b', type: 'wait', wait: { seconds: 1 }, ...(at === 1 ? { when } : {}) },
          ],
        },
      });
    const problems = async (when: string, at = 0) => {
      const res = await post(when, at);
      expect(res.statusCode, res.body).toBe(400);
      const body = res.json() as { error: { code: string; details: { path: string; message: string }[] } };
      expect(body.error.code).toBe('ZEROOPS_PLAYBOOK_INVALID');
      return body.error.details;
    };
    expect(await problems('steps.b.ran')).toEqual([
      { path: '/steps/0/when', message: 'bad condition: "steps.b.ran": step "b" does not come before this one; a condition reads only earlier steps' },
    ]);
    expect((await problems('steps.nope.ran', 1))[0]?.message).toContain('unknown step id "nope"');
    expect((await problems('steps.a.color', 1))[0]?.message).toContain('expected steps.a.<ran, skipped, ok, status>');
    expect((await problems('env.HOME == "x"'))[0]?.message).toContain('unknown root "env"');
    expect((await problems('anomaly.kind == "errors" &&'))[0]?.message).toContain('ends where a value is expected');
    expect((await post('steps.a.ok', 1)).statusCode).toBe(201);
  });
});
