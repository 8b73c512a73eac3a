/**
 * Playbooks that match on resource attributes: spans sent with the
 * OpenTelemetry SDK's own exporter from a service whose resource says
 * deployment.environment=prod; the anomaly carries the allow-listed
 * attributes, so the playbook for prod runs and the one for staging (higher
 * priority, so it would win if attributes were ignored) does not.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Runtime, SERVICE_NAMES, startRuntime } from '../../services/cli/runtime.ts';
import { loadConfig } from '../../services/core/config.ts';
import { silentLogger } from '../../services/core/logger.ts';
import { eventually, type HttpTarget, startHttpTarget } from '../helpers/http-target.ts';
import { sendServerWindows } from '../helpers/otlp-traffic.ts';
import { testRuntimeEnv } from '../helpers/zeroops-process.ts';

const WINDOW_MS = 1000;
const RESOURCE = { 'service.name': 'checkout', 'deployment.environment': 'prod', 'service.version': '1.4.2', 'host.name': 'node-7' };

function playbook(name: string, environment: string, priority: number, target: string) {
  return {
    name,
    mode: 'auto',
    priority,
    match: { service: 'checkout', kinds: ['errors'], attributes: { 'deployment.environment': environment } },
    guardrails: { cooldownSeconds: 0, maxConcurrent: 5 },
    steps: [{ id: 'restart', type: 'http', http: { method: 'POST', url: `${target}/${environment}/{{anomaly.service}}` } }],
  };
}

describe('playbooks matching on resource attributes (embedded)', () => {
  let rt: Runtime;
  let target: HttpTarget;

  beforeAll(async () => {
    target = await startHttpTarget();
    const config = loadConfig({
      ...testRuntimeEnv(WINDOW_MS),
      ZEROOPS_DATA_DIR: mkdtempSync(join(tmpdir(), 'zeroops-attrs-')),
      ZEROOPS_TOPIC_PARTITIONS: '4',
    });
    rt = await startRuntime(config, silentLogger(), SERVICE_NAMES);
  });

  afterAll(async () => {
    await rt?.stop();
    await target?.close();
  });

  it('the prod playbook fires for a prod service and the staging one does not', async () => {
    const api = rt.addresses.api as string;
    for (const p of [playbook('restart-prod', 'prod', 0, target.url), playbook('restart-staging', 'staging', 20, target.url)]) {
      const r = await fetch(`${api}/api/v1/playbooks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(p) });
      expect(r.status, await r.clone().text()).toBe(201);
    }
    const url = `${rt.addresses.otlpHttp as string}/v1/traces`;
    const first = Math.floor((Date.now() - 60_000) / WINDOW_MS) * WINDOW_MS;
    const { 'service.name': service, ...sent } = RESOURCE;
    const send = (firstWindowMs: number, windows: number, errorShare: number) =>
      sendServerWindows(new OTLPTraceExporter({ url }), { service, resource: sent, firstWindowMs, windowMs: WINDOW_MS, windows, perWindow: 30, errorShare });
    await send(first, 12, 0);
    await send(first + 12 * WINDOW_MS, 3, 0.7);

    const anomaly = await eventually(
      'an errors anomaly for checkout',
      async () => {
        const r = (await (await fetch(`${api}/api/v1/anomalies?service=checkout`)).json()) as { items: Array<Record<string, unknown>> };
        return r.items.find((a) => a.kind === 'errors');
      },
      30_000,
    );
    // The allow-listed resource attributes only (host.name is not on the default list), besides the
    // detector's own warm-up marker on a service it has seen only briefly and its root-cause role.
    const { 'zeroops.model_state': _state, 'zeroops.root_cause_role': role, ...resource } = anomaly.attributes as Record<string, string>;
    expect(role).toBe('cause');
    expect(resource).toEqual({ 'deployment.environment': 'prod', 'service.version': '1.4.2' });

    await target.waitFor((r) => r.method === 'POST' && r.url === '/prod/checkout', 1, 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(target.requests.filter((r) => r.url.startsWith('/staging'))).toHaveLength(0);

    const services = (await (await fetch(`${api}/api/v1/services`)).json()) as { items: Array<{ name: string; attributes: object }>; tracking: object };
    expect(services.items.find((s) => s.name === 'checkout')?.attributes).toEqual({ 'deployment.environment': 'prod', 'service.version': '1.4.2' });
  });
});
