/**
 * The demo's `demo-predictive-scale` playbook against the real demo control
 * plane and a real `cart` process: with four hours of 10 s rollups in which
 * cart surges at the same time of every hour (history seeded, as if the
 * demo had run with --surge-every 60), the running executor scales cart out
 * through the control plane's scale route before the next surge, and the
 * execution records the forecast behind it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoSystem, startDemo } from '../../infra/demo/demo-system.ts';
import { applyDemoPlaybooks } from '../../infra/demo/playbook-bundle.ts';
import { type Runtime, startRuntime } from '../../services/cli/runtime.ts';
import { loadConfig } from '../../services/core/config.ts';
import { silentLogger } from '../../services/core/logger.ts';
import { rollups, services } from '../../services/store/index.ts';

const MIN = 60_000;

describe('demo-predictive-scale on the demo control plane', () => {
  let demo: DemoSystem;
  let rt: Runtime;
  const now = Date.now();
  // Cart's history: 5 req/s, and 25 req/s for 5 minutes of every hour; the next surge starts in one minute.
  const surgeStart = now + MIN;
  const rate = (ms: number) => ((((ms - surgeStart) % (60 * MIN)) + 60 * MIN) % (60 * MIN) < 5 * MIN ? 25 : 5);

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'zeroops-demo-predict-'));
    demo = await startDemo({ dataDir, otlpEndpoint: '', services: ['cart'], controlPort: 0, serviceBasePort: 0 });
    const config = loadConfig({
      ZEROOPS_DATA_DIR: dataDir,
      ZEROOPS_API_PORT: '0',
      ZEROOPS_HTTP_ALLOWLIST: '127.0.0.1',
      ZEROOPS_FORECAST_HISTORY_SECONDS: '14400',
    });
    rt = await startRuntime(config, silentLogger(), ['executor', 'api']);
    await rt.store.db.insert(services).values({ name: 'cart' });
    const rows = [];
    for (let w = 4 * 360; w >= 1; w--) {
      const end = Math.floor((now - w * 10_000) / 10_000) * 10_000;
      rows.push({ service: 'cart', windowEnd: new Date(end), features: { request_rate: rate(end - 5_000) }, score: 0.1 });
    }
    await rt.store.db.insert(rollups).values(rows);
    await applyDemoPlaybooks(rt.addresses.api as string, demo.controlUrl);
  }, 240_000);

  afterAll(async () => {
    await rt?.stop();
    await demo?.stop();
  }, 60_000);

  it('scales cart out through the control plane ahead of the predicted surge, recording the forecast', async () => {
    const api = rt.addresses.api as string;
    type Listed = { items: Array<{ id: string; status: string; forecast: { replicas: number; action: string } | null }> };
    let done: Listed['items'][number] | undefined;
    // The executor evaluates forecast playbooks every 30 s; then the control plane starts the replicas.
    const deadline = Date.now() + 150_000;
    while (!done && Date.now() < deadline) {
      const list = (await (await fetch(`${api}/api/v1/executions?service=cart`)).json()) as Listed;
      done = list.items.find((e) => e.status === 'succeeded');
      if (!done) await new Promise((r) => setTimeout(r, 500));
    }
    expect(done, 'a succeeded forecast execution for cart').toBeDefined();
    expect(done?.forecast?.action).toBe('scale_out');
    // 25 req/s at 11 req/s per replica.
    expect(done?.forecast?.replicas).toBeGreaterThanOrEqual(3);
    // The control plane runs what the latest succeeded execution asked for (a later one may ask for more as the forecast moves).
    let replicas = 0;
    let wanted = -1;
    for (const t0 = Date.now(); replicas !== wanted && Date.now() - t0 < 90_000; await new Promise((r) => setTimeout(r, 500))) {
      const list = (await (await fetch(`${api}/api/v1/executions?service=cart&status=succeeded`)).json()) as Listed;
      wanted = list.items[0]?.forecast?.replicas ?? -1;
      replicas = ((await (await fetch(`${demo.controlUrl}/services/cart`)).json()) as { replicas: unknown[] }).replicas.length;
    }
    expect(replicas).toBe(wanted);
    expect(replicas).toBeGreaterThanOrEqual(3);
    const detail = (await (await fetch(`${api}/api/v1/executions/${done?.id}`)).json()) as { forecast: { peakUpper: number; reason: string } };
    expect(detail.forecast.peakUpper).toBeGreaterThan(22);
    expect(detail.forecast.reason).toMatch(/exceeds 1 replica\(s\) x 11.0 req\/s/);
  }, 300_000);
});
