import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Component } from '../../../services/core/component.ts';
import { createTelemetry } from '../../../services/core/telemetry.ts';
import { createExecutor } from '../../../services/executor/index.ts';
import { executionSteps, executions } from '../../../services/store/index.ts';
import { anomaly, type Harness, openHarness, publishAnomalies, startExecutor, until, upsertIncident } from './harness.ts';

describe('outbound step safety through the API and the executor (real Postgres, real HTTP)', () => {
  let h: Harness;
  let executor: Component;
  const drips = new Set<ServerResponse>();
  let dripRequests = 0;
  let dripUrl = '';
  // Sends headers, then one byte every 100 ms and never finishes (a socket idle timeout never fires).
  const drip = createServer((_req, res) => {
    dripRequests++;
    drips.add(res);
    res.writeHead(200);
    const t = setInterval(() => res.write('.'), 100);
    res.on('close', () => {
      clearInterval(t);
      drips.delete(res);
    });
  });

  beforeAll(async () => {
    h = await openHarness({ ZEROOPS_HTTP_ALLOWLIST: '10.0.0.0/8,127.0.0.1' }, { HOOK: 'http://169.254.169.254/latest' });
    await new Promise<void>((r) => drip.listen(0, '127.0.0.1', r));
    dripUrl = `http://127.0.0.1:${(drip.address() as AddressInfo).port}`;
    executor = await startExecutor(h);
  });
  afterAll(async () => {
    await executor?.stop();
    for (const r of drips) r.destroy();
    drip.close();
    await h?.close();
  });

  const playbook = (name: string, url: string, extra: Record<string, unknown> = {}) => ({
    name,
    mode: 'auto',
    match: { service: name },
    guardrails: { cooldownSeconds: 0 },
    steps: [{ id: 'call', type: 'http', http: { method: 'POST', url }, ...extra }],
  });

  it('the executor logs the allowlist in force at start-up', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
    const other = createExecutor({ bus: h.bus, store: h.store, logger, telemetry: createTelemetry(), topics: h.topics, options: { pollMs: 100 } }, h.config);
    await other.start();
    await other.stop();
    const started = lines.map((l) => JSON.parse(l) as { msg: string; httpAllowlist?: string[] }).find((l) => l.msg.startsWith('executor started'));
    expect(started?.httpAllowlist).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(started?.msg).toContain('ZEROOPS_HTTP_ALLOWLIST: 10.0.0.0/8, 127.0.0.1');
  });

  it('validate and create report a URL whose literal host the guard refuses, or whose host is templated', async () => {
    const app = await h.app();
    const problems = async (url: string) => {
      const r = await app.inject({ method: 'POST', url: '/api/v1/playbooks/validate', payload: playbook('v', url) });
      return (r.json() as { error?: { details?: { path: string; message: string }[] } }).error?.details ?? [];
    };
    expect(await problems('http://127.0.0.2:9/x')).toEqual([
      { path: '/steps/0/http/url', message: expect.stringMatching(/loopback address \(rule 127\.0\.0\.0\/8\)/) },
    ]);
    expect((await problems('http://0xa9fea9fe/latest'))[0]?.message).toMatch(/cloud metadata/);
    expect((await problems('http://[::ffff:7f00:2]/x'))[0]?.message).toMatch(/IPv4-mapped/);
    expect((await problems('http://api.localhost/x'))[0]?.message).toMatch(/RFC 6761/);
    expect((await problems('https://{{anomaly.service}}.example.com/x'))[0]?.message).toMatch(/scheme, host or port/);
    expect(await problems('http://10.1.2.3/restart/{{anomaly.service}}')).toEqual([]);
    expect(await problems('http://127.0.0.1:8080/{{anomaly.service}}')).toEqual([]);
    expect(await problems('{{secret.HOOK}}/{{anomaly.service}}')).toEqual([]);
    const created = await app.inject({ method: 'POST', url: '/api/v1/playbooks', payload: playbook('c', 'http://192.168.0.10/x') });
    expect(created.statusCode).toBe(400);
    expect(created.json()).toMatchObject({ error: { code: 'ZEROOPS_PLAYBOOK_INVALID' } });
  });

  it('dry-run reports a target the guard would refuse once rendered (a secret holding a metadata URL)', async () => {
    const app = await h.app();
    const pb = (await app.inject({ method: 'POST', url: '/api/v1/playbooks', payload: playbook('dry', '{{secret.HOOK}}/{{anomaly.service}}') })).json() as {
      id: string;
    };
    const r = await app.inject({ method: 'POST', url: `/api/v1/playbooks/${pb.id}/dry-run`, payload: { anomaly: { service: 'a/b' } } });
    const plan = (r.json() as { plan: { params?: { url: string }; error?: string }[] }).plan;
    expect(plan[0]?.error).toMatch(/cloud metadata address \(rule 169\.254\.169\.254\/32\)/);
    // The secret is redacted; the telemetry value is one encoded segment.
    expect(plan[0]?.params?.url).toBe('[redacted]/a%2Fb');
  });

  it('a step whose target keeps a response trickling times out per attempt, is retried, and fails', async () => {
    const app = await h.app();
    const spec = playbook('drip', `${dripUrl}/slow`, { timeoutSeconds: 1, retry: { maxAttempts: 2, initialDelayMs: 50 } });
    expect((await app.inject({ method: 'POST', url: '/api/v1/playbooks', payload: spec })).statusCode).toBe(201);
    await upsertIncident(h.store, 'drip-1', { service: 'drip' });
    await publishAnomalies(h.bus, h.topics.anomalies, [anomaly({ service: 'drip', episodeId: 'drip-1' })]);
    const row = await until(
      'the execution to finish',
      async () => (await h.store.db.select().from(executions).where(eq(executions.episodeId, 'drip-1'))).find((e) => e.finishedAt),
      60_000,
    );
    expect(row.status).toBe('failed');
    const [step] = await h.store.db.select().from(executionSteps).where(eq(executionSteps.executionId, row.id));
    expect([step?.status, step?.attempt]).toEqual(['failed', 2]);
    expect(step?.error).toMatch(/within 1000 ms/);
    expect(dripRequests).toBe(2);
    await expect.poll(() => drips.size, { timeout: 10_000 }).toBe(0);
  });
});
