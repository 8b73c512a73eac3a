/**
 * Forecast-triggered scaling with two executor processes on one Postgres and
 * one Kafka broker, evaluating every 100 ms with no guardrail in the way
 * (cooldown 0, 10 at once): while the scale call is held by the real HTTP
 * target, and after it, the count in force read under the advisory locks and
 * the execution key alone keep it to one execution and one call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertPlaybook, createPlaybook } from '../../../services/playbooks/index.ts';
import { executions, rollups, services } from '../../../services/store/index.ts';
import { until } from '../executor/harness.ts';
import { openProcessHarness, type ProcessHarness, startExecutorProcess } from '../executor/processes.ts';

const MIN = 60_000;

describe('forecast-triggered scaling, two executor processes', () => {
  let h: ProcessHarness;

  beforeAll(async () => {
    h = await openProcessHarness('forecast-procs', 2, 4);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  }, 60_000);

  it('decide one execution and call the target once for one predicted surge', async () => {
    const now = Date.now();
    const surgeStart = now + 5 * MIN;
    const rate = (ms: number) => ((((ms - surgeStart) % (60 * MIN)) + 60 * MIN) % (60 * MIN) < 15 * MIN ? 100 : 20);
    await h.store.db.insert(services).values({ name: 'shop' });
    const rows = [];
    for (let m = 8 * 60; m >= 1; m--) {
      const end = Math.floor((now - m * MIN) / MIN) * MIN;
      rows.push({ service: 'shop', windowEnd: new Date(end), features: { request_rate: rate(end - 30_000) }, score: 0.1 });
    }
    await h.store.db.insert(rollups).values(rows);
    const spec = assertPlaybook(
      {
        name: 'predict-shop',
        mode: 'auto',
        match: { service: 'shop' },
        trigger: { type: 'forecast', leadSeconds: 900, capacity: { perReplica: 30 }, maxReplicas: 3 },
        guardrails: { cooldownSeconds: 0, maxConcurrent: 10 },
        steps: [
          {
            id: 'scale',
            type: 'http',
            http: { method: 'POST', url: `${h.target.url}/scale/{{anomaly.service}}`, body: { replicas: '{{forecast.replicas}}' } },
          },
        ],
      },
      { secrets: {}, commandAllowlist: [], httpAllowlist: ['127.0.0.1'] },
    );
    await createPlaybook(h.store.db, spec, 'test');
    // The target holds the scale call: the execution stays running while both processes go on evaluating.
    h.target.stall.add('/scale/shop');
    const args = ['--forecast-eval-ms', '100'];
    h.procs.push(await startExecutorProcess(h.env, 'fc-a', 2000, args), await startExecutorProcess(h.env, 'fc-b', 2000, args));
    await h.target.waitFor((r) => r.path === '/scale/shop', 1, 90_000);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await h.store.db.select().from(executions)).toHaveLength(1);
    h.target.release();
    h.target.stall.clear();
    const row = await until(
      'a finished forecast execution',
      async () => (await h.store.db.select().from(executions)).find((e) => e.finishedAt !== null),
      90_000,
    );
    expect(row).toMatchObject({ status: 'succeeded', outcome: 'resolved', service: 'shop' });
    // Both processes go on evaluating for a while: a duplicate would show up now.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await h.store.db.select().from(executions)).toHaveLength(1);
    const calls = h.target.received.filter((r) => r.path === '/scale/shop');
    expect(calls, h.procs.map((p) => p.output()).join('\n')).toHaveLength(1);
    expect(JSON.parse(calls[0]?.body ?? '{}')).toEqual({ replicas: (row.forecast as { replicas: number }).replicas });
  }, 180_000);
});
