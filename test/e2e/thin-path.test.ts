import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Runtime, SERVICE_NAMES, startRuntime } from '../../services/cli/runtime.ts';
import { loadConfig } from '../../services/core/config.ts';
import { silentLogger } from '../../services/core/logger.ts';
import { eventually, type HttpTarget, startHttpTarget } from '../helpers/http-target.ts';
import { runModes } from '../helpers/run-modes.ts';

const WINDOW_MS = 1000;

/** Sends `windows` windows of server spans for `service`, `perWindow` each, with the given error share, through `exporter`. */
async function sendWindows(
  exporter: SpanExporter,
  service: string,
  firstWindowMs: number,
  windows: number,
  perWindow: number,
  errorShare: number,
): Promise<void> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new BatchSpanProcessor(exporter, { maxExportBatchSize: 256, scheduledDelayMillis: 50 })],
  });
  const tracer = provider.getTracer('e2e');
  for (let w = 0; w < windows; w++) {
    for (let i = 0; i < perWindow; i++) {
      const start = firstWindowMs + w * WINDOW_MS + Math.floor((i * WINDOW_MS) / (perWindow + 1));
      const span = tracer.startSpan('GET /cart', { kind: SpanKind.SERVER, startTime: start, attributes: { 'http.route': '/cart' } });
      if (i < Math.round(errorShare * perWindow)) span.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
      span.end(start + 20 + (i % 5));
    }
  }
  await provider.forceFlush();
  await provider.shutdown();
}

const modes = runModes('e2e');

describe.each(modes)('thin end-to-end path: $name', (mode) => {
  let rt: Runtime;
  let target: HttpTarget;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const m = await mode.setup();
    cleanup = m.cleanup;
    target = await startHttpTarget();
    const config = loadConfig({
      ...m.env,
      ZEROOPS_API_PORT: '0',
      ZEROOPS_OTLP_HTTP_PORT: '0',
      ZEROOPS_OTLP_GRPC_PORT: '0',
      ZEROOPS_WINDOW_SECONDS: String(WINDOW_MS / 1000),
      ZEROOPS_LATENESS_SECONDS: '0.2',
      ZEROOPS_HTTP_ALLOWLIST: '127.0.0.1',
      ZEROOPS_TOPIC_PARTITIONS: '4',
    });
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
    await sendWindows(new ProtoTraceExporter({ url: `${otlp}/v1/traces` }), 'checkout', first, 22, 30, 0);
    await sendWindows(new JsonTraceExporter({ url: `${otlp}/v1/traces` }), 'checkout', first + 22 * WINDOW_MS, 22, 30, 0);
    // Then most requests fail.
    await sendWindows(new JsonTraceExporter({ url: `${otlp}/v1/traces` }), 'checkout', first + 44 * WINDOW_MS, 3, 30, 0.7);

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
