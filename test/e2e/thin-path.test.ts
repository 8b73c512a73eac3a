import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Runtime, SERVICE_NAMES, startRuntime } from '../../services/cli/runtime.ts';
import { loadConfig } from '../../services/core/config.ts';
import { silentLogger } from '../../services/core/logger.ts';
import { eventually, type HttpTarget, startHttpTarget } from '../helpers/http-target.ts';
import { sendServerWindows } from '../helpers/otlp-traffic.ts';
import { runModes } from '../helpers/run-modes.ts';
import { testRuntimeEnv } from '../helpers/zeroops-process.ts';

const WINDOW_MS = 1000;

const modes = runModes('e2e');

describe.each(modes)('thin end-to-end path: $name', (mode) => {
  let rt: Runtime;
  let target: HttpTarget;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const m = await mode.setup();
    cleanup = m.cleanup;
    target = await startHttpTarget();
    const config = loadConfig({ ...m.env, ...testRuntimeEnv(WINDOW_MS), ZEROOPS_TOPIC_PARTITIONS: '4' });
    rt = await startRuntime(config, silentLogger(), SERVICE_NAMES);
  });

  afterAll(async () => {
    await rt?.stop();
    await target?.close();
    await cleanup?.();
  });

  it('OTLP traces -> detector -> anomaly -> playbook http step -> execution, visible through the API', async () => {
    const api = rt.addresses.api!;
    const playbook = {
      name: 'restart-checkout',
      mode: 'auto',
      match: { service: 'checkout', kinds: ['errors'] },
      guardrails: { cooldownSeconds: 0, maxConcurrent: 5 },
      steps: [
        { id: 'restart', type: 'http', http: { method: 'POST', url: `${target.url}/restart/{{anomaly.service}}`, body: { episode: '{{anomaly.episodeId}}' } } },
      ],
    };
    const created = await fetch(`${api}/api/v1/playbooks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(playbook) });
    expect(created.status, await created.clone().text()).toBe(201);
    const { id: playbookId } = (await created.json()) as { id: string };

    const otlp = rt.addresses.otlpHttp!;
    const first = Math.floor((Date.now() - 60_000) / WINDOW_MS) * WINDOW_MS;
    // Normal traffic, long enough for the models' warm-up (30 windows) even if the detector joins late: half over OTLP/HTTP protobuf, half over OTLP/HTTP JSON.
    const send = (exporter: SpanExporter, firstWindowMs: number, windows: number, errorShare: number) =>
      sendServerWindows(exporter, { service: 'checkout', firstWindowMs, windowMs: WINDOW_MS, windows, perWindow: 30, errorShare });
    await send(new ProtoTraceExporter({ url: `${otlp}/v1/traces` }), first, 22, 0);
    await send(new JsonTraceExporter({ url: `${otlp}/v1/traces` }), first + 22 * WINDOW_MS, 22, 0);
    // Then most requests fail.
    await send(new JsonTraceExporter({ url: `${otlp}/v1/traces` }), first + 44 * WINDOW_MS, 3, 0.7);

    const anomaly = await eventually(
      'an errors anomaly for checkout',
      async () => {
        const r = (await (await fetch(`${api}/api/v1/anomalies?service=checkout`)).json()) as { items: Array<Record<string, unknown>> };
        // The opening event: the closing one is info (its window is back to normal).
        return r.items.find((a) => a.kind === 'errors' && a.episodeState === 'open');
      },
      30_000,
    );
    expect(anomaly.severity, JSON.stringify(anomaly)).toMatch(/warning|critical/);
    expect((anomaly.evidence as Array<{ feature: string }>)[0]?.feature).toBe('error_ratio');
    expect(anomaly.windowStart).toBe(new Date(first + 44 * WINDOW_MS).toISOString());

    const [call] = await target.waitFor((r) => r.method === 'POST' && r.url === '/restart/checkout', 1, 30_000);
    expect(JSON.parse(call!.body)).toEqual({ episode: anomaly.episodeId });

    const execution = await eventually(
      'a finished execution',
      async () => {
        const r = (await (await fetch(`${api}/api/v1/executions?service=checkout`)).json()) as { items: Array<Record<string, unknown>> };
        return r.items.find((e) => e.status === 'succeeded');
      },
      30_000,
    );
    expect(execution.playbookId).toBe(playbookId);
    expect(execution.episodeId).toBe(anomaly.episodeId);
    const detail = (await (await fetch(`${api}/api/v1/executions/${execution.id as string}`)).json()) as { steps: Array<{ status: string }> };
    expect(detail.steps[0]?.status).toBe('succeeded');
    // exactly one call for the episode, even though several anomaly events of it were emitted
    await new Promise((r) => setTimeout(r, 1500));
    expect(target.requests.filter((r) => r.url === '/restart/checkout')).toHaveLength(1);
  });
});
