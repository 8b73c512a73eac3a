/**
 * One side of `make bench-scaling ARGS=--live`, in its own process: zeroops
 * embedded (one runtime, memory bus, PGlite) with the cart service's
 * request-rate history back-filled, a slice of the demo shop (frontend,
 * gateway, cart, checkout, sessions-db: real processes exporting with the
 * stock OTel exporters) under the demo's load with a recurring surge on
 * cart, a reactive autoscaler and, on the predictive side, the demo's
 * `demo-predictive-scale` playbook. Writes what it measured as JSON.
 *
 * Scaling: the reactive autoscaler (HPA-like, as in the simulation: every
 * 15 s `ceil(rate of the last minute / 80 % of a replica's capacity)` from
 * the requests cart's load balancer forwarded, scale-in only to the highest
 * count wanted over the last 300 s) and the playbook both ask a small scale
 * endpoint of this process; it asks the demo control plane for the higher
 * of the two counts (like a predictive minimum under an autoscaler).
 *
 * Run by live.ts: `tsx live-mode.ts '<LiveModeOptions as JSON>'` with an IPC
 * channel; it says `ready` once its demo runs and waits for {@link LiveGo}.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startDemo } from '../../../infra/demo/demo-system.ts';
import type { RecurringSurge, RequestResult } from '../../../infra/demo/load-generator.ts';
import { PLAYBOOK_CONTROL_URL } from '../../../infra/demo/playbook-bundle.ts';
import { createRng } from '../../../models/stats/index.ts';
import { type RateWindow, startZeroopsInProcess, startZeroopsProcess } from './live-zeroops.ts';
import { offeredRate } from './scaling-sim.ts';
import { sliceCapacity } from './slice-capacity.ts';

/** What the parent asks one side to do. */
export interface LiveModeOptions {
  mode: 'reactive' | 'predictive';
  /** Mean frontend requests per second (the demo's --rps). */
  rps: number;
  dayMinutes: number;
  /** Hours of request-rate history back-filled once both sides run (what the demo would have recorded). */
  historyHours: number;
  /** Requests per second one cart replica serves (the demo's capacity). */
  capacityRps: number;
  objectiveMs: number;
  seed: number;
  /**
   * zeroops in this process, beside the load balancers and the load generator (the layout before; default: a process
   * of its own, see live-zeroops.ts).
   */
  zeroopsInProcess?: boolean;
  /** Where to write the {@link LiveModeResult}. */
  out: string;
}

/**
 * Sent by the parent once both sides are up (each answered `{ type: 'ready' }`):
 * the surge (recurring, so the history has it at the same time of every
 * earlier day) and the measured span.
 */
export interface LiveGo {
  type: 'go';
  surge: RecurringSurge;
  measureFromMs: number;
  measureToMs: number;
  /** The demo's clock runs this far ahead of the wall clock (puts the surge's time of day at its wall-clock time). */
  clockOffsetMs: number;
}

/** One measured minute. */
export interface LiveMinute {
  /** Start (ISO-8601). */
  at: string;
  /** Requests through cart that the load generator sent in it. */
  requests: number;
  /** Of them, answered with a 5xx or not answered. */
  failed: number;
  /** p99 latency at the load generator, ms (failed requests count as infinitely slow: null then). */
  p99Ms: number | null;
  /**
   * The same p99 per way in: `frontend` (`GET /cart`, `POST /checkout`: frontend, gateway, cart, sessions-db) and
   * `direct` (the surge's requests, sent to cart's load balancer); null when that way had a failed request among its
   * slowest 1 % or no request (so a minute above the objective says which way was slow).
   */
  p99ByEntryMs: { frontend: number | null; direct: number | null };
  aboveObjective: boolean;
  /** Mean cart replicas in the control plane over the minute. */
  replicas: number;
  /** Requests cart's load balancer forwarded to its replicas in the minute: the demand that arrived at cart. */
  arrived: number;
  /** Requests the detector recorded for cart in the windows that ended in the minute (its request rate x 10 s): what the forecast learns. */
  recorded: number;
  /** p99 event-loop delay of this process (load balancers, load generator, zeroops), ms. */
  eventLoopP99Ms: number;
  /**
   * Longest event-loop delay of this process in the minute, ms. The p99 of the delay samples (one per 20 ms) misses a
   * block of a second or two that comes once or twice a minute, yet every request in flight through the balancers
   * waits that long: the max shows it.
   */
  eventLoopMaxMs: number;
}

/** What one side measured. */
export interface LiveModeResult {
  mode: LiveModeOptions['mode'];
  minutes: LiveMinute[];
  minutesAboveObjective: number;
  replicaMinutes: number;
  requests: number;
  failed: number;
  /** Measured requests by how they ended (HTTP status, `error`, `timeout`). */
  statuses: Record<string, number>;
  /** Scale requests sent to the control plane: when, how many, and who wanted it. */
  scaleCalls: Array<{ at: string; replicas: number; reactive: number; predictive: number }>;
  /** The playbook's executions (predictive side). */
  executions: Array<{ createdAt: string; status: string; replicas: number | null; action: string | null; peakUpper: number | null }>;
  /** Mean cart request rate of the back-filled history and of the rollups the detector wrote during the run, req/s (same hours of the cycle are not compared: a sanity check of the scale). */
  rollupCheck: { backfilledMean: number; liveMean: number | null; liveWindows: number };
}

const SLICE = ['frontend', 'gateway', 'cart', 'checkout', 'sessions-db'];
const SERVICE = 'cart';
const WINDOW_MS = 10_000;
/** Most cart replicas either scaler asks for (the playbook's maxReplicas). */
const MAX_REPLICAS = 6;
const PLAYBOOK = fileURLToPath(new URL('../../../infra/demo/playbooks/demo-predictive-scale.yaml', import.meta.url));

/** A request of the load generator that went through cart. */
function throughCart(r: RequestResult): boolean {
  if (r.service === SERVICE) return true;
  return r.service === 'frontend' && (r.path === '/cart' || r.path === '/checkout');
}

function p99(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.99 * s.length) - 1)] as number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function run(o: LiveModeOptions): Promise<LiveModeResult> {
  const log = (line: string) => process.stderr.write(`bench-scaling --live [${o.mode}] ${new Date().toISOString().slice(11, 19)}: ${line}\n`);
  const dataDir = mkdtempSync(join(tmpdir(), `zeroops-scale-live-${o.mode}-`));
  const env = {
    ZEROOPS_DATA_DIR: dataDir,
    ZEROOPS_API_PORT: '0',
    ZEROOPS_OTLP_HTTP_PORT: '0',
    ZEROOPS_OTLP_GRPC_PORT: '0',
    ZEROOPS_HTTP_ALLOWLIST: '127.0.0.1',
    ZEROOPS_DETECTOR_NEURAL: 'false',
    // PGlite opens slowly on a loaded host.
    ZEROOPS_CONNECT_TIMEOUT_MS: '120000',
    // 10 s forecast steps (the surge lasts minutes; with the default two weeks a step is 5 minutes).
    ZEROOPS_FORECAST_HISTORY_SECONDS: String(o.historyHours * 3600),
  };
  // Its own process by default: in this one its synchronous work (forecasts, PGlite, scoring) held the balancers.
  const zo = o.zeroopsInProcess ? await startZeroopsInProcess(env) : await startZeroopsProcess(env);
  const api = zo.api;

  const results: RequestResult[] = [];
  // The load generator's draws (request mix, surge routes, ids): seeded, and restarted at the go, so that both sides
  // send the same sequence of requests over the measured span.
  const trafficSeed = o.seed * 7919 + 17;
  let traffic = createRng(trafficSeed);
  // No surge until the parent places it (the load generator reads this object on every tick).
  const surge: RecurringSurge = { service: SERVICE, magnitude: 1, everyMinutes: o.dayMinutes, atMinute: 0, durationMinutes: 0 };
  const demoStartMs = Date.now();
  let clockOffsetMs = 0;
  const demo = await startDemo({
    clock: () => Date.now() + clockOffsetMs,
    dataDir,
    otlpEndpoint: zo.otlpHttp,
    services: SLICE,
    controlPort: 0,
    serviceBasePort: 0,
    rps: o.rps,
    dayMinutes: o.dayMinutes,
    recurringSurge: surge,
    random: () => traffic.next(),
    // sessions-db sized for what cart's most replicas send it: the surge saturates cart, which scaling addresses.
    capacityRps: sliceCapacity(o.rps, SERVICE, o.capacityRps, MAX_REPLICAS),
    onRequest: (r) => {
      if (throughCart(r)) results.push(r);
    },
  });
  log(`demo slice up (${SLICE.join(', ')}) in ${((Date.now() - demoStartMs) / 1000).toFixed(0)} s; control plane ${demo.controlUrl}`);

  // The scale endpoint both scalers ask: the control plane gets the higher count.
  let reactive = 1;
  let predictive = 0;
  let asked = 1;
  const scaleCalls: LiveModeResult['scaleCalls'] = [];
  const apply = async () => {
    const want = Math.max(1, reactive, predictive);
    if (want === asked) return;
    asked = want;
    scaleCalls.push({ at: new Date().toISOString(), replicas: want, reactive, predictive });
    log(`scale ${SERVICE} to ${want} (reactive ${reactive}, predictive ${predictive})`);
    const res = await fetch(`${demo.controlUrl}/services/${SERVICE}/scale`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ replicas: want }),
    });
    if (!res.ok) log(`control plane answered ${res.status} to a scale`);
  };
  const proxy = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      const n = (() => {
        try {
          return (JSON.parse(body) as { replicas?: unknown }).replicas;
        } catch {
          return undefined;
        }
      })();
      if (req.method !== 'POST' || req.url !== `/services/${SERVICE}/scale` || typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'POST /services/cart/scale {replicas}' }));
        return;
      }
      predictive = n;
      apply().then(
        () => res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: true, replicas: n })),
        (err: Error) => res.writeHead(502).end(err.message),
      );
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

  // Reactive: HPA-like, on what cart's load balancer forwarded.
  const forwarded = () => Object.values(demo.supervisor.forwarded(SERVICE)).reduce((a, b) => a + b, 0);
  const samples: Array<{ t: number; n: number }> = [{ t: Date.now(), n: forwarded() }];
  const desired: number[] = [];
  const hpa = setInterval(() => {
    const t = Date.now();
    samples.push({ t, n: forwarded() });
    while (samples.length > 1 && (samples[1] as { t: number }).t <= t - 60_000) samples.shift();
    const first = samples[0] as { t: number; n: number };
    const rate = t > first.t ? (samples[samples.length - 1]!.n - first.n) / ((t - first.t) / 1000) : 0;
    desired.push(Math.min(MAX_REPLICAS, Math.max(1, Math.ceil(rate / (o.capacityRps * 0.8)))));
    reactive = Math.max(...desired.slice(-20));
    apply().catch((err: Error) => log(`scale failed: ${err.message}`));
  }, 15_000);

  process.send?.({ type: 'ready' });
  const go = await new Promise<LiveGo>((resolve) => process.on('message', (m: LiveGo) => m.type === 'go' && resolve(m)));
  Object.assign(surge, go.surge);
  clockOffsetMs = go.clockOffsetMs;
  traffic = createRng(trafficSeed);
  // The history the demo would have left after `historyHours` of running with this surge: cart's request rate per
  // detector window (Poisson arrivals around the load generator's rate, on the demo's clock), up to now: it replaces
  // what the detector recorded of the demo's start-up (cold processes, and the rhythm before the clock was set).
  const rng = createRng(o.seed);
  const now = Date.now() - 2 * WINDOW_MS;
  const rows: RateWindow[] = [];
  const rateOf = (t: number) => offeredRate({ service: SERVICE, rps: o.rps, dayMinutes: o.dayMinutes, surge, missingSurgeEvery: 0 }, t + clockOffsetMs);
  for (let end = Math.floor((now - o.historyHours * 3_600_000) / WINDOW_MS) * WINDOW_MS; end < now - WINDOW_MS; end += WINDOW_MS) {
    const mean = (rateOf(end - WINDOW_MS / 2) * WINDOW_MS) / 1000;
    let k = 0;
    // Poisson by inversion (normal approximation for large means).
    if (mean > 30) k = Math.max(0, Math.round(mean + Math.sqrt(mean) * Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next())));
    else for (let p = rng.next(), l = Math.exp(-mean); p > l; p *= rng.next()) k++;
    rows.push({ endMs: end, rate: k / (WINDOW_MS / 1000) });
  }
  await zo.backfill(SERVICE, rows, now);
  const backfilledMean = rows.reduce((a, r) => a + r.rate, 0) / rows.length;
  const backfillEnd = rows[rows.length - 1]?.endMs as number;
  log(`back-filled ${rows.length} windows (${o.historyHours} h) of ${SERVICE}'s request rate`);

  if (o.mode === 'predictive') {
    const yaml = readFileSync(PLAYBOOK, 'utf8').replaceAll(PLAYBOOK_CONTROL_URL, proxyUrl);
    const res = await fetch(`${api}/api/v1/playbooks`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: yaml });
    if (!res.ok) throw new Error(`applying demo-predictive-scale failed (${res.status}): ${await res.text()}`);
    log('demo-predictive-scale applied (its scale step calls this process, which asks the control plane)');
  }

  // Replicas in the control plane (starting ones count: they cost), every 2 s.
  const replicaSamples: Array<{ t: number; n: number }> = [];
  // Requests cart's load balancer forwarded so far, every 2 s.
  const arrivedSamples: Array<{ t: number; n: number }> = [{ t: Date.now(), n: forwarded() }];
  const poll = setInterval(() => {
    arrivedSamples.push({ t: Date.now(), n: forwarded() });
    fetch(`${demo.controlUrl}/services/${SERVICE}`)
      .then((r) => r.json() as Promise<{ replicas: unknown[] }>)
      .then((s) => replicaSamples.push({ t: Date.now(), n: s.replicas.length }))
      .catch(() => undefined);
  }, 2_000);
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  // Event-loop delay per measured minute (the histogram is reset at each minute's start).
  const loopOf: Array<{ from: number; p99Ms: number; maxMs: number }> = [];

  if (Date.now() > go.measureFromMs) log(`started ${((Date.now() - go.measureFromMs) / 1000).toFixed(0)} s after the measured span began`);
  for (let next = go.measureFromMs; Date.now() < go.measureToMs; next += 60_000) {
    await sleep(Math.max(0, Math.min(next, go.measureToMs) - Date.now()));
    if (next > go.measureFromMs && next <= go.measureToMs) loopOf.push({ from: next - 60_000, p99Ms: loop.percentile(99) / 1e6, maxMs: loop.max / 1e6 });
    loop.reset();
    if (next > go.measureFromMs && next <= go.measureToMs) {
      const from = next - 60_000;
      const inMin = results.filter((r) => r.sentAt >= from && r.sentAt < next);
      const l = loopOf.at(-1) as { maxMs: number };
      log(
        `minute ${new Date(from).toISOString().slice(11, 16)}: ${inMin.length} requests via ${SERVICE}, replicas ${asked}, load ${loadavg()[0]?.toFixed(1)}, event loop max ${l.maxMs.toFixed(0)} ms`,
      );
    }
  }
  // Requests sent before the end finish (or time out at 15 s).
  await sleep(16_000);
  clearInterval(hpa);
  clearInterval(poll);
  loop.disable();

  const live = await zo.rollupsAfter(SERVICE, backfillEnd);
  // The forwarded count at the last sample before `t`.
  const arrivedBy = (t: number) => arrivedSamples.filter((s) => s.t < t).at(-1)?.n ?? 0;
  const minutes: LiveMinute[] = [];
  for (let from = go.measureFromMs; from + 60_000 <= go.measureToMs; from += 60_000) {
    const to = from + 60_000;
    const inMin = results.filter((r) => r.sentAt >= from && r.sentAt < to);
    const failed = inMin.filter((r) => !/^[1-4]\d\d$/.test(r.status)).length;
    const latencyOf = (r: RequestResult) => (/^[1-4]\d\d$/.test(r.status) ? r.ms : Number.POSITIVE_INFINITY);
    const lat = inMin.map(latencyOf);
    const p99Of = (rs: RequestResult[]) => {
      const v = p99(rs.map(latencyOf));
      return rs.length > 0 && Number.isFinite(v) ? Math.round(v) : null;
    };
    const q = p99(lat);
    const reps = replicaSamples.filter((s) => s.t >= from && s.t < to);
    const loopMin = loopOf.find((s) => s.from === from);
    minutes.push({
      at: new Date(from).toISOString(),
      requests: inMin.length,
      failed,
      p99Ms: Number.isFinite(q) ? Math.round(q) : null,
      p99ByEntryMs: { frontend: p99Of(inMin.filter((r) => r.service === 'frontend')), direct: p99Of(inMin.filter((r) => r.service === SERVICE)) },
      aboveObjective: q > o.objectiveMs,
      replicas: reps.length ? reps.reduce((a, s) => a + s.n, 0) / reps.length : asked,
      arrived: arrivedBy(to) - arrivedBy(from),
      recorded: Math.round(live.filter((r) => r.endMs > from && r.endMs <= to).reduce((a, r) => a + r.rate * (WINDOW_MS / 1000), 0)),
      eventLoopP99Ms: Math.round(loopMin?.p99Ms ?? 0),
      eventLoopMaxMs: Math.round(loopMin?.maxMs ?? 0),
    });
  }
  type Exec = { createdAt: string; status: string; forecast: { replicas: number; action: string; peakUpper: number } | null };
  const execs = (await (await fetch(`${api}/api/v1/executions?service=${SERVICE}&limit=100`)).json()) as { items: Exec[] };
  const liveRates = live.map((r) => r.rate);
  const measured = results.filter((r) => r.sentAt >= go.measureFromMs && r.sentAt < go.measureToMs);
  const result: LiveModeResult = {
    mode: o.mode,
    minutes,
    minutesAboveObjective: minutes.filter((m) => m.aboveObjective).length,
    replicaMinutes: minutes.reduce((a, m) => a + m.replicas, 0),
    requests: measured.length,
    failed: measured.filter((r) => !/^[1-4]\d\d$/.test(r.status)).length,
    statuses: measured.reduce<Record<string, number>>((a, r) => {
      a[r.status] = (a[r.status] ?? 0) + 1;
      return a;
    }, {}),
    scaleCalls,
    executions: execs.items.map((e) => ({
      createdAt: e.createdAt,
      status: e.status,
      replicas: e.forecast?.replicas ?? null,
      action: e.forecast?.action ?? null,
      peakUpper: e.forecast?.peakUpper ?? null,
    })),
    rollupCheck: {
      backfilledMean,
      liveMean: liveRates.length ? liveRates.reduce((a, b) => a + b, 0) / liveRates.length : null,
      liveWindows: liveRates.length,
    },
  };
  await new Promise((r) => proxy.close(r));
  await demo.stop();
  await zo.stop();
  rmSync(dataDir, { recursive: true, force: true });
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const o = JSON.parse(process.argv[2] ?? '{}') as LiveModeOptions;
  run(o).then(
    (r) => {
      writeFileSync(o.out, JSON.stringify(r, null, 2));
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`bench-scaling --live [${o.mode}]: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
