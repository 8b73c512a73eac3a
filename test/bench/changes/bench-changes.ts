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
 * 2. Managed rollouts (real time) on the demo's real processes: zeroops
 *    running in this process (collector, the real detector with 1 s windows,
 *    executor, API), the demo's cart and sessions-db exporting to it, 8
 *    requests per second to cart; `--rounds` times a good version (1.6.x,
 *    60 s watch) then the bad 1.5.0 (fails 60 % of requests; 120 s watch),
 *    each through POST /api/v1/changes and the demo's rolling deploy.
 *    Printed: the end state, the time from apply to the end, the detector
 *    windows judged, requests dropped during the change (502 or no answer).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dailyRate } from '../../../infra/demo/load-generator.ts';
import { BAD_VERSION, GOOD_VERSION } from '../../../infra/demo/topology.ts';
import { createRng } from '../../../models/stats/index.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { planDeferral } from '../../../services/executor/index.ts';
import { createStore, rollups, type Store } from '../../../services/store/index.ts';
import { startDemoRollouts } from '../../helpers/demo-rollout.ts';
import { demoTraffic } from '../forecast/demo-traffic.ts';

const { values: args } = parseArgs({
  options: {
    actions: { type: 'string', default: '40' },
    seed: { type: 'string', default: '7' },
    rounds: { type: 'string', default: '3' },
    'skip-rollouts': { type: 'boolean', default: false },
    'skip-quiet-windows': { type: 'boolean', default: false },
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

const load = () => (loadavg()[0] ?? 0).toFixed(1);

/** Good and bad managed rollouts of the demo's cart, through its rolling deploy, judged by the real detector. */
async function benchRollouts(): Promise<void> {
  const rounds = Number(args.rounds);
  const t0 = Date.now();
  const rig = await startDemoRollouts({ rps: 8, baselineWindows: 30 });
  const rows: Array<{ version: string; good: boolean; state: string; tookS: number; windows: number; dropped: number; reason: string }> = [];
  try {
    console.log(
      `\nmanaged rollouts on the demo: cart (with sessions-db), 8 req/s, the real detector with 1 s windows; ${rounds} rounds of a good version (60 s watch) then the bad ${BAD_VERSION} (120 s watch); ready after ${((Date.now() - t0) / 1000).toFixed(0)} s, load average ${load()}`,
    );
    console.log('| round | version | end state | apply to end | windows judged | requests dropped | reason |');
    console.log('|---|---|---|---|---|---|---|');
    for (let round = 1; round <= rounds; round++) {
      for (const [version, watch] of [
        [`${GOOD_VERSION.split('.').slice(0, 2).join('.')}.${round}`, 60],
        [BAD_VERSION, 120],
      ] as const) {
        const c = await rig.finished(await rig.requestChange(version, watch), (watch + 120) * 1000);
        const applied = Date.parse(c.appliedAt ?? c.finishedAt ?? '0');
        const finished = Date.parse(c.finishedAt ?? '0');
        const dropped = rig.answers.filter((a) => a.at >= applied && a.at <= finished && (a.status === 502 || a.status === 0)).length;
        const r = {
          version,
          good: version !== BAD_VERSION,
          state: c.state,
          tookS: (finished - applied) / 1000,
          windows: c.verdict?.windows ?? 0,
          dropped,
          reason: c.reason,
        };
        rows.push(r);
        console.log(`| ${round} | ${version} | ${r.state} | ${r.tookS.toFixed(1)} s | ${r.windows} | ${dropped} | ${r.reason.replace(/\|/g, '/')} |`);
      }
      // The next change's baseline (its last 60 s) without the bad version's windows.
      if (round < rounds) await new Promise((r) => setTimeout(r, 65_000));
    }
  } finally {
    await rig.stop();
  }
  const good = rows.filter((r) => r.good);
  const bad = rows.filter((r) => !r.good);
  const back = bad.filter((r) => r.state === 'rolled_back').map((r) => r.tookS);
  console.log(
    `\ngood versions kept: ${good.filter((r) => r.state === 'kept').length} of ${good.length}; bad versions rolled back: ${back.length} of ${bad.length}` +
      (back.length > 0 ? `, apply to rolled back median ${quantile(back, 0.5).toFixed(1)} s, longest ${Math.max(...back).toFixed(1)} s (target < 120 s)` : '') +
      `; load average at the end ${load()}`,
  );
}

if (!args['skip-quiet-windows']) await benchQuietWindows();
if (!args['skip-rollouts']) await benchRollouts();
