/**
 * Managed rollouts through a running zeroops (collector, real detector with
 * 1 s windows, executor, API) on the demo's real `cart` processes, which
 * export their telemetry to it: a good version (1.6.0) deployed through the
 * demo control plane is kept, and the switch to it fails no request; then a
 * bad one (1.5.0, its bug fails 60 % of requests) is rolled back within two
 * minutes, judged by the detector's windows of cart.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, asc, eq, gt } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoSystem, startDemo } from '../../infra/demo/demo-system.ts';
import { type Runtime, SERVICE_NAMES, startRuntime } from '../../services/cli/runtime.ts';
import { loadConfig } from '../../services/core/config.ts';
import { silentLogger } from '../../services/core/logger.ts';
import { rollups } from '../../services/store/index.ts';
import { testRuntimeEnv } from '../helpers/zeroops-process.ts';

const WINDOW_MS = 1000;
/** Requests per second sent to cart (its replica serves 60). */
const RPS = 8;

type Change = { id: string; state: string; reason: string; appliedAt: string | null; finishedAt: string | null; verdict: { windows?: number } | null };

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('managed rollouts on the demo, judged by the real detector', () => {
  let rt: Runtime;
  let demo: DemoSystem;
  let api: string;
  let sending = true;
  /** Statuses of the requests sent to cart's balancer, with when they were answered. */
  const answers: Array<{ at: number; status: number }> = [];

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'zeroops-demo-rollout-'));
    // Two seconds of lateness: the demo's processes export every second, and a loaded host delays them.
    rt = await startRuntime(loadConfig({ ZEROOPS_DATA_DIR: dataDir, ...testRuntimeEnv(WINDOW_MS, 2) }), silentLogger(), [...SERVICE_NAMES]);
    api = rt.addresses.api as string;
    demo = await startDemo({
      dataDir,
      otlpEndpoint: rt.addresses.otlpHttp as string,
      services: ['cart', 'sessions-db'],
      controlPort: 0,
      serviceBasePort: 0,
      capacityRps: { cart: 60, 'sessions-db': 60 },
    });
    const cart = demo.supervisor.url('cart');
    // Open-loop users of cart: a request every 1/RPS s, whatever the earlier ones do.
    void (async () => {
      while (sending) {
        void fetch(`${cart}/items?id=${Math.floor(Math.random() * 50)}`).then(
          async (r) => {
            await r.arrayBuffer();
            answers.push({ at: Date.now(), status: r.status });
          },
          () => answers.push({ at: Date.now(), status: 0 }),
        );
        await new Promise((r) => setTimeout(r, 1000 / RPS));
      }
    })();
    // A baseline: the detector's windows of cart over its first half minute.
    const since = Date.now();
    await until('30 windows of cart', async () => (await windowsOf(since)).length >= 30, 180_000);
  }, 300_000);

  afterAll(async () => {
    sending = false;
    await demo?.stop();
    await rt?.stop();
  }, 60_000);

  async function windowsOf(sinceMs: number): Promise<Array<Record<string, number>>> {
    const rows = await rt.store.db
      .select({ features: rollups.features })
      .from(rollups)
      .where(and(eq(rollups.service, 'cart'), gt(rollups.windowEnd, new Date(sinceMs)), eq(rollups.stepSeconds, 0)))
      .orderBy(asc(rollups.windowEnd));
    return rows.map((r) => r.features);
  }

  async function requestChange(version: string, watchSeconds: number): Promise<string> {
    const body = {
      service: 'cart',
      version,
      change: { type: 'http', http: { method: 'POST', url: `${demo.controlUrl}/services/cart/deploy`, body: { version } } },
      undo: { type: 'http', http: { method: 'POST', url: `${demo.controlUrl}/services/cart/rollback` } },
      watchSeconds,
      baselineSeconds: 60,
    };
    const res = await fetch(`${api}/api/v1/changes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  const finished = (id: string, timeoutMs: number) =>
    until(
      `change ${id} to finish`,
      async () => {
        const c = (await (await fetch(`${api}/api/v1/changes/${id}`)).json()) as Change;
        return ['kept', 'rolled_back', 'failed'].includes(c.state) ? c : undefined;
      },
      timeoutMs,
    );

  const cartVersion = async () => ((await (await fetch(`${demo.controlUrl}/services/cart`)).json()) as { version: string }).version;

  it('keeps a good version, and the switch to it drops no request', async () => {
    const id = await requestChange('1.6.0', 30);
    const c = await finished(id, 150_000);
    // On a failure, what the detector saw of cart since the change says why.
    const seen = c.state === 'kept' ? '' : JSON.stringify(await windowsOf(Date.parse(c.appliedAt ?? '0') - 3_000));
    const episode = /episode (\S+) opened/.exec(c.reason)?.[1];
    const ep = episode ? (await (await fetch(`${api}/api/v1/incidents/${encodeURIComponent(episode)}/report`)).text()).slice(0, 3000) : '';
    expect(c.state, `${c.reason}\nepisode: ${ep}\ncart windows: ${seen}`).toBe('kept');
    expect(c.reason).toMatch(/no regression within the 30 s watch/);
    // Judged by detector windows of the new version, not for want of them.
    expect(c.verdict?.windows ?? 0).toBeGreaterThanOrEqual(10);
    expect(await cartVersion()).toBe('1.6.0');
    const applied = Date.parse(c.appliedAt as string);
    const during = answers.filter((a) => a.at >= applied && a.at <= Date.parse(c.finishedAt as string));
    expect(during.length).toBeGreaterThan(50);
    // The old process left the balancer and drained before it stopped: no request met a replica gone (502) or a dropped connection.
    expect(during.filter((a) => a.status === 502 || a.status === 0)).toEqual([]);
  }, 200_000);

  it('rolls a bad version back within two minutes, judged by the detector windows', async () => {
    const id = await requestChange('1.5.0', 120);
    const c = await finished(id, 180_000);
    expect(c.state, c.reason).toBe('rolled_back');
    expect(c.reason).toMatch(/regression: (error_ratio|anomaly episode)/);
    const applied = Date.parse(c.appliedAt as string);
    expect(Date.parse(c.finishedAt as string) - applied).toBeLessThan(120_000);
    // The detector saw the bug: windows of cart with most requests failing after the change.
    const failing = await until(
      'a window of cart with most requests failing',
      async () => (await windowsOf(applied)).some((w) => (w.error_ratio ?? 0) > 0.3),
      30_000,
    ).catch(async () => false);
    const seen = failing ? '' : JSON.stringify((await windowsOf(applied - 2_000)).map((w) => [w.request_rate, w.error_ratio, w.latency_p99_ms]));
    expect(failing, `${c.reason}; cart windows [rate, error ratio, p99]: ${seen}`).toBe(true);
    // The undo put back the version before the change.
    await until('cart to run 1.6.0 again', async () => (await cartVersion()) === '1.6.0', 60_000);
  }, 200_000);
});
