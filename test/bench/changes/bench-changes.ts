/**
 * `make bench-changes`: deferred work in quiet windows, and managed rollouts.
 *
 * 1. Quiet windows (simulated clock over the real scheduling code): the
 *    demo's traffic (its load generator's daily rhythm, a 60-minute "day",
 *    10-second windows, per-service route-mix noise) is written to the
 *    rollups of an embedded store; deferred actions are planned at random
 *    times of day 8 and 9 with `planDeferral` (what deferrable playbooks,
 *    deferrable steps and managed changes use) and `now` set to that time.
 *    Printed: the share that starts in the lowest quarter of that day's load
 *    (the noise-free rate of the demo's rhythm at the start, against that
 *    day's 25th percentile), and how many start after their maximum delay.
 * 2. Managed rollouts (real time): an embedded API and executor, a small real
 *    HTTP service with the demo's versions (1.5.0 fails 60 % of requests,
 *    1.6.0 is good), one window of its signals every `--window` seconds; a
 *    rollout of the bad version and one of the good, through POST
 *    /api/v1/changes. Printed: the end state and the time from apply to the
 *    end.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dailyRate } from '../../../infra/demo/load-generator.ts';
import { BAD_VERSION, BASE_VERSION, GOOD_VERSION, VERSION_BUG_RATES } from '../../../infra/demo/topology.ts';
import { createRng } from '../../../models/stats/index.ts';
import { buildApiApp } from '../../../services/api/index.ts';
import { createMemoryBus, topicNames } from '../../../services/bus/index.ts';
import { loadConfig } from '../../../services/core/config.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { createTelemetry } from '../../../services/core/telemetry.ts';
import { createExecutor, planDeferral } from '../../../services/executor/index.ts';
import { createStore, rollups, type Store } from '../../../services/store/index.ts';
import { startVersionedService } from '../../helpers/versioned-service.ts';
import { demoTraffic } from '../forecast/demo-traffic.ts';

const { values: args } = parseArgs({
  options: {
    actions: { type: 'string', default: '40' },
    seed: { type: 'string', default: '7' },
    window: { type: 'string', default: '10' },
    'skip-rollouts': { type: 'boolean', default: false },
  },
});
const DAY_MINUTES = 60;
const DAY_MS = DAY_MINUTES * 60_000;
const WINDOW_S = 10;
const T0 = Date.UTC(2026, 0, 1);

async function withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'zeroops-bench-changes-'));
  const store = await createStore({ databaseUrl: '', dataDir: dir, poolSize: 4, connectTimeoutMs: 5_000, logger: silentLogger() });
  try {
    return await fn(store);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const quantile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))] as number;
};

/** Planned deferrals of `service` at random times: how many start in the lowest quarter of their day, and how many late. */
async function quietWindows(store: Store, services: string[], perService: number, maxDelaySeconds: number, seed: number) {
  const rng = createRng(seed);
  const truth = (t: number) => dailyRate(12, DAY_MINUTES, t);
  const settings = { historySeconds: 7 * DAY_MINUTES * 60, coverage: 0.9, windowSeconds: WINDOW_S };
  let inQuarter = 0;
  let late = 0;
  let deferred = 0;
  let total = 0;
  const waits: number[] = [];
  for (const service of services) {
    for (let i = 0; i < perService; i++) {
      const now = T0 + 7 * DAY_MS + rng.next() * 2 * DAY_MS;
      const plan = await planDeferral(store.db, service, { maxDelaySeconds, durationSeconds: 120, worsenBy: 0.05 }, settings, new Date(now));
      const at = plan.at?.getTime() ?? now;
      if (plan.at) deferred++;
      total++;
      if (at > now + maxDelaySeconds * 1000) late++;
      waits.push((at - now) / 1000);
      const dayStart = T0 + Math.floor((at - T0) / DAY_MS) * DAY_MS;
      const day = Array.from({ length: DAY_MS / 10_000 }, (_, k) => truth(dayStart + k * 10_000));
      if (truth(at) <= quantile(day, 0.25)) inQuarter++;
    }
  }
  return { total, deferred, inQuarter, late, medianWaitS: quantile(waits, 0.5), maxWaitS: Math.max(...waits) };
}

async function benchQuietWindows(): Promise<void> {
  await withStore(async (store) => {
    const series = demoTraffic({ days: 10, dayMinutes: DAY_MINUTES, rps: 12, windowSeconds: WINDOW_S, seed: Number(args.seed) });
    const chosen = series.filter((s) => ['demo/cart', 'demo/checkout', 'demo/catalog', 'demo/payment'].includes(s.name));
    for (const s of chosen) {
      const rows = s.values.map((v, w) => ({
        service: s.name.slice(5),
        windowEnd: new Date(T0 + (w + 1) * WINDOW_S * 1000),
        features: { request_rate: v },
        score: 0,
      }));
      for (let i = 0; i < rows.length; i += 1000) await store.db.insert(rollups).values(rows.slice(i, i + 1000));
    }
    const names = chosen.map((s) => s.name.slice(5));
    console.log(`quiet windows: ${names.length} demo services (${names.join(', ')}), ${args.actions} deferred actions each, 60-minute days, 10 s windows`);
    console.log('| max delay | actions | deferred | started in the lowest quarter of the day | past max delay | median wait | longest wait |');
    console.log('|---|---|---|---|---|---|---|');
    for (const [label, maxDelay] of [
      ['one day (3600 s)', 3600],
      ['half a day (1800 s)', 1800],
    ] as const) {
      const r = await quietWindows(store, names, Number(args.actions), maxDelay, Number(args.seed));
      const pct = ((100 * r.inQuarter) / r.total).toFixed(1);
      console.log(
        `| ${label} | ${r.total} | ${r.deferred} | ${r.inQuarter} (${pct} %) | ${r.late} | ${r.medianWaitS.toFixed(0)} s | ${r.maxWaitS.toFixed(0)} s |`,
      );
    }
  });
}

async function benchRollouts(): Promise<void> {
  const windowS = Number(args.window);
  await withStore(async (store) => {
    const env = { ZEROOPS_HTTP_ALLOWLIST: '127.0.0.1', ZEROOPS_WINDOW_SECONDS: String(windowS) };
    const config = loadConfig(env);
    const bus = createMemoryBus();
    const topics = topicNames('');
    const app = await buildApiApp({ store, bus, config, logger: silentLogger(), telemetry: createTelemetry(), topics });
    const executor = createExecutor({ bus, store, logger: silentLogger(), telemetry: createTelemetry(), topics }, config);
    await executor.start();
    const svc = await startVersionedService(BASE_VERSION, { ...VERSION_BUG_RATES });
    try {
      svc.sample(store, 'shop', windowS * 1000);
      const t0 = Date.now();
      while (svc.windows() < 6) await new Promise((r) => setTimeout(r, 200));
      console.log(`\nmanaged rollouts: ${windowS} s windows, baseline of ${svc.windows()} windows (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
      console.log('| version | end state | apply to end | reason |');
      console.log('|---|---|---|---|');
      for (const [version, watch] of [
        [BAD_VERSION, 300],
        [GOOD_VERSION, 120],
      ] as const) {
        const body = {
          service: 'shop',
          version,
          change: { type: 'http', http: { method: 'POST', url: `${svc.url}/deploy`, body: { version } } },
          undo: { type: 'http', http: { method: 'POST', url: `${svc.url}/rollback` } },
          watchSeconds: watch,
          baselineSeconds: 600,
        };
        const created = (await app.inject({ method: 'POST', url: '/api/v1/changes', payload: body })).json();
        let c = created;
        while (!['kept', 'rolled_back', 'failed'].includes(c.state)) {
          await new Promise((r) => setTimeout(r, 500));
          c = (await app.inject(`/api/v1/changes/${created.id}`)).json();
        }
        const took = (Date.parse(c.finishedAt) - Date.parse(c.appliedAt)) / 1000;
        console.log(`| ${version} | ${c.state} | ${took.toFixed(1)} s | ${c.reason} |`);
        // Fresh good windows before the next rollout's baseline.
        const w = svc.windows();
        while (svc.windows() < w + 3) await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await svc.close();
      await executor.stop();
      await app.close();
      await bus.close();
    }
  });
}

await benchQuietWindows();
if (!args['skip-rollouts']) await benchRollouts();
