import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Component } from '../../../services/core/component.ts';
import { assertPlaybook, createPlaybook, deletePlaybook, listPlaybooks } from '../../../services/playbooks/index.ts';
import { type ExecutionRow, executions } from '../../../services/store/index.ts';
import { anomaly, type Harness, openHarness, publishAnomalies, type StepTarget, startExecutor, startStepTarget, until, upsertIncident } from './harness.ts';

describe('guardrails hold under a storm (in-process bus, real Postgres)', () => {
  let h: Harness;
  let target: StepTarget;
  let executor: Component;
  beforeAll(async () => {
    h = await openHarness();
    target = await startStepTarget();
    executor = await startExecutor(h);
  });
  afterAll(async () => {
    await executor?.stop();
    await target?.close();
    await h?.close();
  });
  beforeEach(async () => {
    for (const p of await listPlaybooks(h.store.db)) await deletePlaybook(h.store.db, p.id, 'test');
    target.received.length = 0;
  });

  const add = (name: string, service: string, guardrails: Record<string, unknown>, steps?: unknown[]) =>
    createPlaybook(
      h.store.db,
      assertPlaybook(
        {
          name,
          mode: 'auto',
          match: { service },
          guardrails,
          steps: steps ?? [{ id: 'act', type: 'http', http: { method: 'POST', url: `${target.url}/${name}/{{anomaly.episodeId}}` } }],
        },
        { secrets: {}, commandAllowlist: [], httpAllowlist: ['127.0.0.1'] },
      ),
      'test',
    );
  const rowsFor = async (pbId: string) => h.store.db.select().from(executions).where(eq(executions.playbookId, pbId));
  const settled = (n: number, pbId: string) =>
    until(`${n} decided executions`, async () => {
      const rows = await rowsFor(pbId);
      return rows.length >= n && rows.every((r) => r.status === 'skipped' || r.finishedAt) ? rows : undefined;
    });
  const skippedBy = (rows: ExecutionRow[]) => rows.filter((r) => r.status === 'skipped').map((r) => r.reason.split(':')[0]);

  it('cooldown per service: 40 episodes of one service in a storm act once', async () => {
    const pb = await add('cool', 'cool-svc', { cooldownSeconds: 3600, maxConcurrent: 100 });
    await publishAnomalies(
      h.bus,
      h.topics.anomalies,
      Array.from({ length: 40 }, (_, i) => anomaly({ service: 'cool-svc', episodeId: `cool-${i}` })),
    );
    const rows = await settled(40, pb.id);
    expect(rows.filter((r) => r.status === 'succeeded')).toHaveLength(1);
    expect(skippedBy(rows)).toEqual(Array(39).fill('guardrail cooldown'));
    await until('the one call', async () => target.received.length === 1);
  });

  it('max runs per hour per playbook, then the fleet-wide budget', async () => {
    const pb = await add('rate', 'rate-*', { cooldownSeconds: 0, maxRunsPerHour: 3, maxConcurrent: 100 });
    await publishAnomalies(
      h.bus,
      h.topics.anomalies,
      Array.from({ length: 20 }, (_, i) => anomaly({ service: `rate-${i}`, episodeId: `rate-${i}` })),
    );
    const rows = await settled(20, pb.id);
    expect(rows.filter((r) => r.status === 'succeeded')).toHaveLength(3);
    expect(skippedBy(rows)).toEqual(Array(17).fill('guardrail max_runs_per_hour'));

    const acted = (await h.store.db.select().from(executions)).filter((r) => r.status === 'succeeded').length;
    const fleet = await add('fleet', 'fleet-*', { cooldownSeconds: 0, fleetMaxRunsPerHour: acted + 2, maxConcurrent: 100 });
    await publishAnomalies(
      h.bus,
      h.topics.anomalies,
      Array.from({ length: 10 }, (_, i) => anomaly({ service: `fleet-${i}`, episodeId: `fleet-${i}` })),
    );
    const frows = await settled(10, fleet.id);
    expect(frows.filter((r) => r.status === 'succeeded')).toHaveLength(2);
    expect(skippedBy(frows)).toEqual(Array(8).fill('guardrail fleet_budget'));
  });

  it('max concurrent: unfinished executions of a playbook block new ones', async () => {
    target.stall.add('/conc/');
    const pb = await add('conc', 'conc-*', { cooldownSeconds: 0, maxConcurrent: 2 });
    await publishAnomalies(
      h.bus,
      h.topics.anomalies,
      Array.from({ length: 6 }, (_, i) => anomaly({ service: `conc-${i}`, episodeId: `conc-${i}` })),
    );
    await until('6 decisions', async () => (await rowsFor(pb.id)).length === 6);
    const rows = await rowsFor(pb.id);
    expect(skippedBy(rows)).toEqual(Array(4).fill('guardrail max_concurrent'));
    target.stall.clear();
    target.release();
    await settled(6, pb.id);
    expect(target.received).toHaveLength(2);
  });

  it('does not act on a resolved episode, nor on a flapping one until it stops flapping', async () => {
    const pb = await add('calm', 'calm', { cooldownSeconds: 0 });
    await upsertIncident(h.store, 'calm-closed', { state: 'closed', service: 'calm' });
    await upsertIncident(h.store, 'calm-flap', { state: 'open', flapping: true, service: 'calm' });
    await publishAnomalies(h.bus, h.topics.anomalies, [
      anomaly({ service: 'calm', episodeId: 'calm-gone', episodeState: 'closed' }),
      anomaly({ service: 'calm', episodeId: 'calm-closed' }),
      anomaly({ service: 'calm', episodeId: 'calm-flap', flapping: true }),
    ]);
    const rows = await settled(2, pb.id);
    expect(rows.find((r) => r.episodeId === 'calm-closed')?.reason).toMatch(/^guardrail episode_closed/);
    expect(rows.find((r) => r.episodeId === 'calm-flap')?.reason).toMatch(/^guardrail flapping/);
    expect(rows.find((r) => r.episodeId === 'calm-gone')).toBeUndefined();
    expect(target.received).toHaveLength(0);
    // The episode stabilises: the next event of it is decided again and acts, once.
    await upsertIncident(h.store, 'calm-flap', { state: 'open', flapping: false, service: 'calm' });
    await publishAnomalies(h.bus, h.topics.anomalies, [anomaly({ service: 'calm', episodeId: 'calm-flap', episodeState: 'ongoing' })]);
    await until('the stabilised episode acted on', async () => (await rowsFor(pb.id)).find((r) => r.episodeId === 'calm-flap' && r.status === 'succeeded'));
    expect(target.received.map((r) => r.path)).toEqual(['/calm/calm-flap']);
  });

  it('re-checks the episode right before a mutating step and stops if it closed', async () => {
    const pb = await add('recheck', 'late', { cooldownSeconds: 0 }, [
      { id: 'pause', type: 'wait', wait: { seconds: 1 } },
      { id: 'act', type: 'http', http: { method: 'POST', url: `${target.url}/recheck` } },
    ]);
    await upsertIncident(h.store, 'late-1', { state: 'open', service: 'late' });
    await publishAnomalies(h.bus, h.topics.anomalies, [anomaly({ service: 'late', episodeId: 'late-1' })]);
    await until('the wait step started', async () => (await rowsFor(pb.id)).find((r) => r.status === 'running'));
    await upsertIncident(h.store, 'late-1', { state: 'closed', service: 'late' });
    const [row] = await settled(1, pb.id);
    expect(row).toMatchObject({ status: 'skipped', outcome: 'skipped' });
    expect(row!.reason).toMatch(/^guardrail episode_closed: episode closed before step act/);
    expect(target.received).toHaveLength(0);
  });

  it('freeze windows skip, naming the guardrail', async () => {
    const d = new Date();
    const day = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][d.getUTCDay()];
    const pb = await add('frozen', 'frozen', { cooldownSeconds: 0, freezeWindows: [{ days: [day], from: '00:00', to: '24:00', reason: 'release freeze' }] });
    await publishAnomalies(h.bus, h.topics.anomalies, [anomaly({ service: 'frozen', episodeId: 'frozen-1' })]);
    const [row] = await settled(1, pb.id);
    expect(row!.reason).toBe('guardrail freeze_window: inside freeze window (release freeze)');
  });
});
