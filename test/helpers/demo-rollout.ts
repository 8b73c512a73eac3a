/**
 * Managed rollouts on the demo's real processes, judged by a real detector:
 * a running zeroops in this process (collector, detector with 1 s windows,
 * executor, API) and the demo's `cart` and `sessions-db` exporting their
 * telemetry to it, with open-loop users sending requests to cart. Changes
 * go through `POST /api/v1/changes` and the demo control plane's rolling
 * deploy. Used by the demo rollout e2e test and `make bench-changes`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, asc, eq, gt } from 'drizzle-orm';
import { type DemoSystem, startDemo } from '../../infra/demo/demo-system.ts';
import { type Runtime, SERVICE_NAMES, startRuntime } from '../../services/cli/runtime.ts';
import { loadConfig } from '../../services/core/config.ts';
import { silentLogger } from '../../services/core/logger.ts';
import { rollups } from '../../services/store/index.ts';
import { testRuntimeEnv } from './zeroops-process.ts';

/** A managed change as the API returns it (the fields used here). */
export interface ChangeJson {
  id: string;
  state: string;
  reason: string;
  appliedAt: string | null;
  finishedAt: string | null;
  verdict: { windows?: number } | null;
}

/** The running rig. */
export interface DemoRollouts {
  api: string;
  demo: DemoSystem;
  runtime: Runtime;
  /** Statuses of the requests sent to cart's balancer (0: no answer), with when they were answered. */
  answers: Array<{ at: number; status: number }>;
  /** Asks for a rollout of `version` of cart (undo: the control plane's rollback); resolves with the change's id. */
  requestChange(version: string, watchSeconds: number, extra?: Record<string, unknown>): Promise<string>;
  /** The change once it ended (kept, rolled back, failed); throws after `timeoutMs`. */
  finished(id: string, timeoutMs: number): Promise<ChangeJson>;
  /** The detector's windows of cart ending after `sinceMs`, oldest first. */
  windowsOf(sinceMs: number): Promise<Array<Record<string, number>>>;
  /** The version cart runs. */
  cartVersion(): Promise<string>;
  stop(): Promise<void>;
}

/** Polls `fn` every 250 ms until it returns something truthy; throws after `timeoutMs`. */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Starts zeroops and the demo's cart (with sessions-db) with `rps` requests
 * per second sent to cart (its replica serves 60), and resolves once the
 * detector wrote `baselineWindows` windows of cart.
 */
export async function startDemoRollouts(opts: { rps?: number; baselineWindows?: number } = {}): Promise<DemoRollouts> {
  const rps = opts.rps ?? 8;
  const dataDir = mkdtempSync(join(tmpdir(), 'zeroops-demo-rollout-'));
  // Two seconds of lateness: the demo's processes export every second, and a loaded host delays them (and the embedded store's start).
  const env = { ZEROOPS_DATA_DIR: dataDir, ZEROOPS_CONNECT_TIMEOUT_MS: '90000', ...testRuntimeEnv(1000, 2) };
  const runtime = await startRuntime(loadConfig(env), silentLogger(), [...SERVICE_NAMES]);
  let demo: DemoSystem | undefined;
  let sending = true;
  const answers: DemoRollouts['answers'] = [];
  const stop = async () => {
    sending = false;
    await demo?.stop();
    await runtime.stop();
    // The data directory stays (as with the other e2e tests): a control-plane request still being answered appends to its ground-truth log.
  };
  try {
    const api = runtime.addresses.api as string;
    demo = await startDemo({
      dataDir,
      otlpEndpoint: runtime.addresses.otlpHttp as string,
      services: ['cart', 'sessions-db'],
      controlPort: 0,
      serviceBasePort: 0,
      capacityRps: { cart: 60, 'sessions-db': 60 },
    });
    const d = demo;
    const cart = d.supervisor.url('cart');
    // Open-loop users of cart: a request every 1/rps s, whatever the earlier ones do.
    void (async () => {
      while (sending) {
        void fetch(`${cart}/items?id=${Math.floor(Math.random() * 50)}`).then(
          async (r) => {
            await r.arrayBuffer();
            answers.push({ at: Date.now(), status: r.status });
          },
          () => answers.push({ at: Date.now(), status: 0 }),
        );
        await new Promise((r) => setTimeout(r, 1000 / rps));
      }
    })();
    const windowsOf = async (sinceMs: number) => {
      const rows = await runtime.store.db
        .select({ features: rollups.features })
        .from(rollups)
        .where(and(eq(rollups.service, 'cart'), gt(rollups.windowEnd, new Date(sinceMs)), eq(rollups.stepSeconds, 0)))
        .orderBy(asc(rollups.windowEnd));
      return rows.map((r) => r.features);
    };
    const since = Date.now();
    const want = opts.baselineWindows ?? 30;
    await until(`${want} windows of cart`, async () => (await windowsOf(since)).length >= want, 180_000 + want * 2_000);
    return {
      api,
      demo: d,
      runtime,
      answers,
      windowsOf,
      async requestChange(version, watchSeconds, extra = {}) {
        const body = {
          service: 'cart',
          version,
          change: { type: 'http', http: { method: 'POST', url: `${d.controlUrl}/services/cart/deploy`, body: { version } } },
          undo: { type: 'http', http: { method: 'POST', url: `${d.controlUrl}/services/cart/rollback` } },
          watchSeconds,
          baselineSeconds: 60,
          ...extra,
        };
        const res = await fetch(`${api}/api/v1/changes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        if (res.status !== 201) throw new Error(`POST /api/v1/changes answered ${res.status}: ${await res.text()}`);
        return ((await res.json()) as { id: string }).id;
      },
      finished: (id, timeoutMs) =>
        until(
          `change ${id} to finish`,
          async () => {
            const c = (await (await fetch(`${api}/api/v1/changes/${id}`)).json()) as ChangeJson;
            return ['kept', 'rolled_back', 'failed'].includes(c.state) ? c : undefined;
          },
          timeoutMs,
        ),
      cartVersion: async () => ((await (await fetch(`${d.controlUrl}/services/cart`)).json()) as { version: string }).version,
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
