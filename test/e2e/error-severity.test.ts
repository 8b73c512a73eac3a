/**
 * Severity of failing requests follows their count, end to end with live
 * traffic: spans stamped with the current time at a steady low rate (4
 * requests a second), sent by the OpenTelemetry SDK's own OTLP exporter, 1
 * second windows, embedded mode. One failed request of a window's four is
 * within chance (25 % against a service that never fails is a dozen spreads,
 * but 1 failure of 4 where 2 % fail is 1.5 binomial deviations): no anomaly.
 * A fault failing 60 % of the same traffic pages.
 */

import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Runtime, SERVICE_NAMES, startRuntime } from '../../services/cli/runtime.ts';
import { loadConfig } from '../../services/core/config.ts';
import { silentLogger } from '../../services/core/logger.ts';
import { eventually } from '../helpers/http-target.ts';
import { serviceTracerProvider } from '../helpers/otlp-traffic.ts';
import { runModes } from '../helpers/run-modes.ts';
import { testRuntimeEnv } from '../helpers/zeroops-process.ts';

const WINDOW_MS = 1000;
/** Requests per second. */
const RATE = 4;
const SERVICE = 'low';

interface Anomaly {
  service: string;
  kind: string;
  severity: string;
  windowEndUnixMs?: number;
  evidence: Array<{ feature: string; deviation: number }>;
}

function span(p: BasicTracerProvider, startMs: number, failed: boolean): void {
  const s = p.getTracer('e2e').startSpan('GET /item', { kind: SpanKind.SERVER, startTime: startMs, attributes: { 'http.route': '/item' } });
  if (failed) s.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  s.end(startMs + 15 + (startMs % 7));
}

const mode = runModes('error-severity')[0];

describe('severity of failing requests with live traffic, 1 s windows', () => {
  let cleanup: () => Promise<void> = async () => undefined;
  let rt: Runtime;
  let p: BasicTracerProvider;
  let timer: NodeJS.Timeout | undefined;
  /** Requests still to fail one by one, and whether a fault fails 60 % of them. */
  const failing = { single: 0, fault: false };

  beforeAll(async () => {
    const m = await (mode as NonNullable<typeof mode>).setup();
    cleanup = m.cleanup;
    rt = await startRuntime(loadConfig({ ...m.env, ...testRuntimeEnv(WINDOW_MS, 1) }), silentLogger(), SERVICE_NAMES);
    p = serviceTracerProvider(new OTLPTraceExporter({ url: `${rt.addresses.otlpHttp}/v1/traces` }), { 'service.name': SERVICE });
  });

  afterAll(async () => {
    if (timer) clearInterval(timer);
    await p?.shutdown();
    await rt?.stop();
    await cleanup();
  });

  const anomaliesSince = async (ms: number): Promise<Anomaly[]> =>
    ((await (await fetch(`${rt.addresses.api}/api/v1/anomalies?service=${SERVICE}&since=${new Date(ms).toISOString()}`)).json()) as { items: Anomaly[] }).items;
  const openIncidents = async (): Promise<unknown[]> =>
    ((await (await fetch(`${rt.addresses.api}/api/v1/incidents?service=${SERVICE}&state=open`)).json()) as { items: unknown[] }).items;

  it('one failure of a few requests raises no anomaly; 60 % of them failing pages', async () => {
    // 40 s of healthy history (3 to 5 requests a second, none failing) ending just before now, then live traffic.
    const first = Math.floor((Date.now() - 42_000) / WINDOW_MS) * WINDOW_MS;
    for (let w = 0; w < 40; w++) {
      const n = RATE - 1 + (w % 3);
      for (let i = 0; i < n; i++) span(p, first + w * WINDOW_MS + Math.floor((i * WINDOW_MS) / (n + 1)), false);
    }
    await p.forceFlush();
    const start = Date.now();
    let sent = 0;
    timer = setInterval(() => {
      const due = Math.floor(((Date.now() - start) * RATE) / 1000);
      for (; sent < due; sent++) {
        const fail = failing.fault ? sent % 10 < 6 : failing.single > 0;
        if (!failing.fault && fail) failing.single--;
        span(p, Date.now(), fail);
      }
    }, 50);
    await new Promise((r) => setTimeout(r, 4000));
    await eventually('no open incident before the failure', async () => (await openIncidents()).length === 0, 20_000);

    // One failed request.
    const oneAt = Date.now();
    failing.single = 1;
    // Its window is scored and stored (the error ratio of 1 of 3 to 5 requests) ...
    const failedWindow = await eventually(
      'the window of the failed request stored',
      async () => {
        const q = `features=error_ratio&from=${new Date(oneAt - 2000).toISOString()}&to=${new Date().toISOString()}&points=1000`;
        const body = (await (await fetch(`${rt.addresses.api}/api/v1/services/${SERVICE}/series?${q}`)).json()) as {
          series: Array<{ feature: string; points: Array<{ value: number }> }>;
        };
        return body.series.find((s) => s.feature === 'error_ratio')?.points.find((pt) => pt.value > 0);
      },
      15_000,
    );
    expect(failedWindow.value).toBeGreaterThan(0.15);
    // ... but raises no anomaly of its errors (it read a dozen spreads and opened an info episode), nor a page.
    await new Promise((r) => setTimeout(r, 3000));
    expect((await anomaliesSince(oneAt)).filter((a) => a.evidence.some((e) => e.feature === 'error_ratio'))).toEqual([]);
    expect((await anomaliesSince(oneAt)).map((a) => a.severity)).not.toContain('warning');
    expect((await anomaliesSince(oneAt)).map((a) => a.severity)).not.toContain('critical');
    await eventually('no open incident', async () => (await openIncidents()).length === 0, 20_000);

    // A fault: 60 % failing.
    const faultAt = Date.now();
    failing.fault = true;
    const paged = await eventually(
      'a paging errors anomaly',
      async () => (await anomaliesSince(faultAt)).find((a) => a.kind === 'errors' && a.severity !== 'info'),
      15_000,
    );
    expect(['warning', 'critical']).toContain(paged.severity);
  }, 150_000);
});
