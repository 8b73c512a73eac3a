import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Runtime, SERVICE_NAMES, startRuntime } from '../../services/cli/runtime.ts';
import { loadConfig } from '../../services/core/config.ts';
import { silentLogger } from '../../services/core/logger.ts';
import { eventually } from '../helpers/http-target.ts';

describe('self-telemetry: zeroops sends its own traces and metrics to its own collector', () => {
  let rt: Runtime;

  beforeAll(async () => {
    const config = loadConfig({
      ZEROOPS_DATA_DIR: mkdtempSync(join(tmpdir(), 'zeroops-self-')),
      ZEROOPS_API_PORT: '0',
      ZEROOPS_OTLP_HTTP_PORT: '0',
      ZEROOPS_OTLP_GRPC_PORT: '0',
      ZEROOPS_TELEMETRY: 'otlp',
      ZEROOPS_TELEMETRY_INTERVAL_MS: '500',
      ZEROOPS_WINDOW_SECONDS: '1',
      ZEROOPS_LATENESS_SECONDS: '0.2',
    });
    rt = await startRuntime(config, silentLogger(), SERVICE_NAMES);
  });

  afterAll(async () => {
    await rt?.stop();
  });

  it('its spans and metrics arrive through OTLP and zeroops becomes a watched service', async () => {
    const api = rt.addresses.api!;
    for (let i = 0; i < 5; i++) expect((await fetch(`${api}/api/v1/anomalies`)).status).toBe(200);
    const counters = await eventually(
      'the collector to accept zeroops traces and metrics',
      async () => {
        const c = ((await (await fetch(`${api}/api/v1/stats`)).json()) as { counters: Record<string, number> }).counters;
        const accepted = (signal: string) =>
          Object.entries(c).some(
            ([k, v]) => k.startsWith('zeroops.collector.items{') && k.includes(`signal=${signal}`) && k.includes('outcome=accepted') && v > 0,
          );
        return accepted('traces') && accepted('metrics') ? c : undefined;
      },
      20_000,
    );
    expect(Object.keys(counters).some((k) => k.startsWith('zeroops.bus.published{'))).toBe(true);
    await eventually(
      'service "zeroops" in /api/v1/services',
      async () => {
        const r = (await (await fetch(`${api}/api/v1/services`)).json()) as { items: Array<{ name: string }> };
        return r.items.some((s) => s.name === 'zeroops');
      },
      20_000,
    );
  });
});
