import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertPlaybook, createPlaybook } from '../../../services/playbooks/index.ts';
import { executionSteps, executions } from '../../../services/store/index.ts';
import { anomaly, publishAnomalies, until } from './harness.ts';
import { openProcessHarness, type ProcessHarness, startExecutorProcess } from './processes.ts';

describe('two executor processes on one Kafka topic and one Postgres', () => {
  let h: ProcessHarness;

  beforeAll(async () => {
    h = await openProcessHarness('exec-replicas', 4, 4);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('a burst of 200 anomalies yields one execution per (episode, playbook) and each http step lands once', async () => {
    const mk = (name: string, priority: number, service: string) =>
      assertPlaybook(
        {
          name,
          mode: 'auto',
          priority,
          match: { service },
          guardrails: { cooldownSeconds: 0, maxConcurrent: 1000 },
          steps: [{ id: 'act', type: 'http', http: { method: 'POST', url: `${h.target.url}/${name}/{{anomaly.episodeId}}` } }],
        },
        { secrets: {}, commandAllowlist: [], httpAllowlist: ['127.0.0.1'] },
      );
    await createPlaybook(h.store.db, mk('svc-specific', 10, 'svc-[0-4]'), 'test');
    await createPlaybook(h.store.db, mk('catch-all', 0, 'svc-*'), 'test');
    h.procs.push(await startExecutorProcess(h.env, 'replica-a', 3000));
    // 50 episodes over 10 services, 4 events each (open, then ongoing), interleaved.
    const events = Array.from({ length: 200 }, (_, i) => {
      const ep = i % 50;
      return anomaly({ service: `svc-${ep % 10}`, episodeId: `ep-${ep}`, episodeState: i < 50 ? 'open' : 'ongoing' });
    });
    await publishAnomalies(h.bus, h.topics.anomalies, events.slice(0, 100));
    // The second replica joins mid-burst: partitions move and records may be delivered twice.
    h.procs.push(await startExecutorProcess(h.env, 'replica-b', 3000));
    await publishAnomalies(h.bus, h.topics.anomalies, events.slice(100));

    const rows = await until(
      '50 finished executions',
      async () => {
        const all = await h.store.db.select().from(executions);
        return all.length >= 50 && all.every((e) => e.finishedAt) ? all : undefined;
      },
      60_000,
    );
    expect(rows).toHaveLength(50);
    expect(new Set(rows.map((r) => r.episodeId)).size).toBe(50);
    for (const r of rows) expect(r.playbookId).toBe(rows.find((x) => x.service === r.service)!.playbookId);
    expect(rows.every((r) => r.status === 'succeeded')).toBe(true);
    const steps = await h.store.db.select().from(executionSteps);
    expect(steps).toHaveLength(50);
    expect(steps.every((s) => s.attempt === 1)).toBe(true);
    // Give any duplicate a chance to show up before counting what landed.
    await new Promise((r) => setTimeout(r, 1000));
    expect(h.target.received).toHaveLength(50);
    expect(new Set(h.target.received.map((r) => r.path)).size).toBe(50);
    const specific = h.target.received.filter((r) => r.path.startsWith('/svc-specific/')).length;
    expect(specific).toBe(25);
  });
});
