/**
 * A simulation of one demo service under a recurring surge, scaled either by
 * a reactive autoscaler alone or by the same reactive autoscaler plus a
 * forecast-triggered playbook. What is real and what is modelled:
 * - real: the demo load generator's daily rhythm, call-graph share and
 *   surge arithmetic (`dailyRate`, `visitsPerRequest`, `recurringSurgeAt`),
 *   the demo replica's work queue (`WorkQueue`: one request at a time,
 *   1/capacity s each, refused beyond 2 s of backlog), round-robin over the
 *   replicas like the demo's load balancer, the load forecast
 *   (`forecastOfSeries`, what `forecastLoad` computes from the rollups) and
 *   the playbook's replica decision (`planScaling`);
 * - modelled: Poisson arrivals (second by second), the detector's
 *   request-rate windows (arrivals per 10 s), the reactive autoscaler (an
 *   HPA-like rule on the rate of the last minute, with a scale-in
 *   stabilization window), the time a new replica takes to serve, and the
 *   playbook's cooldown (one change per `cooldownSeconds`).
 */
import { dailyRate, type RecurringSurge, recurringSurgeAt, visitsPerRequest } from '../../../infra/demo/load-generator.ts';
import { WorkQueue } from '../../../infra/demo/service/slot-pool.ts';
import { SHOP } from '../../../infra/demo/topology.ts';
import { createRng, type Rng } from '../../../models/stats/index.ts';
import { planScaling } from '../../../services/executor/index.ts';
import { chooseStep, forecastOfSeries } from '../../../services/forecast/index.ts';
import type { ForecastTrigger } from '../../../services/playbooks/index.ts';

/** Settings of one simulated run. */
export interface SimOptions {
  service: string;
  /** Mean frontend requests per second (the demo's --rps). */
  rps: number;
  dayMinutes: number;
  surge: RecurringSurge;
  /** Every this many surge periods the surge does not come (0: it always does): what a forecast that expects it costs. */
  missingSurgeEvery: number;
  /** Simulated days before the measured ones (history for the forecast). */
  warmupDays: number;
  measuredDays: number;
  /** Requests per second one replica of the service serves (the demo's capacity). */
  capacityRps: number;
  /** p99 latency objective, ms. */
  objectiveMs: number;
  /** Seconds until a new replica serves. */
  startupSeconds: number;
  reactive: {
    targetUtilization: number;
    metricSeconds: number;
    everySeconds: number;
    stabilizationSeconds: number;
    maxReplicas: number;
    /** Extra lag, s: the rate it acts on ends this long ago (e.g. an anomaly detector's time to detect). */
    delaySeconds: number;
  };
  /** null: reactive alone. */
  predictive: null | { trigger: ForecastTrigger; everySeconds: number; cooldownSeconds: number; historySeconds: number; coverage: number };
  seed: number;
}

/** What a run measured over the measured days. */
export interface SimResult {
  minutesAboveObjective: number;
  replicaMinutes: number;
  minutes: number;
  refused: number;
  requests: number;
  predictiveChanges: number;
}

const WINDOW = 10;

function poisson(rng: Rng, mean: number): number {
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next())));
  const l = Math.exp(-mean);
  let k = 0;
  for (let p = rng.next(); p > l; p *= rng.next()) k++;
  return k;
}

function p99(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.99 * s.length) - 1)] as number;
}

/** The offered load of the service at `t` (unix ms): its share of the daily rhythm plus the surge's extra, as the load generator sends it. */
export function offeredRate(o: Pick<SimOptions, 'service' | 'rps' | 'dayMinutes' | 'surge' | 'missingSurgeEvery'>, t: number): number {
  const share = visitsPerRequest(SHOP)[o.service] ?? 0.5;
  const rate = dailyRate(o.rps, o.dayMinutes, t);
  const period = Math.floor((t - o.surge.atMinute * 60_000) / (o.surge.everyMinutes * 60_000));
  const missing = o.missingSurgeEvery > 0 && period % o.missingSurgeEvery === o.missingSurgeEvery - 1;
  const m = o.surge.service === o.service && !missing ? recurringSurgeAt(o.surge, t) : undefined;
  return rate * share + (m === undefined ? 0 : Math.max(2, (m - 1) * rate * share));
}

/** The predictive playbook's decision at `now` from the windows seen so far (undefined: forecast not ready). */
function predictiveTarget(p: NonNullable<SimOptions['predictive']>, windows: number[], t0: number, now: number, current: number): number | undefined {
  const step = chooseStep(p.historySeconds, WINDOW);
  const per = step / WINDOW;
  const from = Math.max(0, windows.length - Math.floor(p.historySeconds / WINDOW));
  const values: number[] = [];
  for (let i = from; i + per <= windows.length; i += per) values.push(windows.slice(i, i + per).reduce((a, b) => a + b, 0) / per);
  const horizon = p.trigger.leadSeconds + p.trigger.scaleIn.afterSeconds;
  const fc = forecastOfSeries(
    'sim',
    { startMs: t0 + from * WINDOW * 1000, stepSeconds: step, values },
    horizon,
    { historySeconds: p.historySeconds, coverage: p.coverage, windowSeconds: WINDOW },
    new Date(now),
  );
  if (!fc.ready) return undefined;
  const perReplica = p.trigger.capacity.perReplica as number;
  const plan = planScaling({ trigger: p.trigger, currentReplicas: current, perReplica, stepSeconds: fc.stepSeconds, upper: fc.points.map((x) => x.upper) });
  return plan.replicas;
}

/** Runs one simulation. */
export function simulate(o: SimOptions): SimResult {
  const rng = createRng(o.seed);
  const dayS = o.dayMinutes * 60;
  const totalS = (o.warmupDays + o.measuredDays) * dayS;
  const measureFrom = o.warmupDays * dayS;
  const t0 = Date.UTC(2026, 0, 1);
  const queues: WorkQueue[] = [new WorkQueue(o.capacityRps, 2_000)];
  const pendingReady: Array<{ at: number; n: number }> = [];
  const perSecond: number[] = [];
  const windows: number[] = [];
  const desiredHistory: number[] = [];
  let reactive = 1;
  let predictive = o.predictive?.trigger.initialReplicas ?? o.predictive?.trigger.minReplicas ?? 0;
  let lastChange = Number.NEGATIVE_INFINITY;
  let rr = 0;
  let minuteLat: number[] = [];
  const r: SimResult = { minutesAboveObjective: 0, replicaMinutes: 0, minutes: 0, refused: 0, requests: 0, predictiveChanges: 0 };
  for (let s = 0; s < totalS; s++) {
    const now = t0 + s * 1000;
    const measuring = s >= measureFrom;
    // Replicas asked for earlier start serving once started up; fewer replicas take effect at once.
    const wanted = Math.max(reactive, predictive, 1);
    const asked = pendingReady.length > 0 ? (pendingReady[pendingReady.length - 1] as { n: number }).n : queues.length;
    if (wanted > asked) pendingReady.push({ at: s + o.startupSeconds, n: wanted });
    if (wanted < queues.length) {
      queues.length = wanted;
      pendingReady.length = 0;
    }
    while (pendingReady.length > 0 && (pendingReady[0] as { at: number }).at <= s) {
      const n = (pendingReady.shift() as { n: number }).n;
      while (queues.length < n) queues.push(new WorkQueue(o.capacityRps, 2_000));
    }
    const arrivals = poisson(rng, offeredRate(o, now));
    perSecond.push(arrivals);
    const times = Array.from({ length: arrivals }, () => now + Math.floor(rng.next() * 1000)).sort((a, b) => a - b);
    for (const at of times) {
      const q = queues[rr++ % queues.length] as WorkQueue;
      const ms = q.admit(at);
      if (measuring) {
        r.requests++;
        if (ms === undefined) r.refused++;
        minuteLat.push(ms ?? Number.POSITIVE_INFINITY);
      }
    }
    if ((s + 1) % WINDOW === 0) windows.push(perSecond.slice(-WINDOW).reduce((a, b) => a + b, 0) / WINDOW);
    if ((s + 1) % o.reactive.everySeconds === 0) {
      const end = perSecond.length - o.reactive.delaySeconds;
      const recent = perSecond.slice(Math.max(0, end - o.reactive.metricSeconds), Math.max(1, end));
      const rate = recent.reduce((a, b) => a + b, 0) / recent.length;
      desiredHistory.push(Math.min(o.reactive.maxReplicas, Math.max(1, Math.ceil(rate / (o.capacityRps * o.reactive.targetUtilization)))));
      // Out at once, in only to the highest count wanted within the stabilization window.
      reactive = Math.max(...desiredHistory.slice(-Math.ceil(o.reactive.stabilizationSeconds / o.reactive.everySeconds)));
    }
    const p = o.predictive;
    if (p && (s + 1) % p.everySeconds === 0 && s + 1 - lastChange >= p.cooldownSeconds) {
      const next = predictiveTarget(p, windows, t0, now + 1000, predictive);
      if (next !== undefined && next !== predictive) {
        predictive = next;
        lastChange = s + 1;
        if (measuring) r.predictiveChanges++;
      }
    }
    if (measuring) r.replicaMinutes += queues.length / 60;
    if ((s + 1) % 60 === 0) {
      if (measuring) {
        r.minutes++;
        if (p99(minuteLat) > o.objectiveMs) r.minutesAboveObjective++;
      }
      minuteLat = [];
    }
  }
  return r;
}
