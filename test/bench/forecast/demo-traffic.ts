/**
 * The demo's traffic as the detector would see it, without running the demo:
 * the load generator's own rate (`demoRate`: the daily rhythm, and with
 * `week` its compressed week of weekdays, growth and days of their own) paces the frontend's
 * requests (its credit scheme: deterministic arrivals), each request takes a
 * route of the mix at random and visits the services on its call graph
 * (`visitsPerRequest` per frontend request), counted per 10-second window.
 */
import { DEFAULT_WEEK, demoRate, visitsPerRequest, type WeekRhythm } from '../../../infra/demo/load-generator.ts';
import { SHOP } from '../../../infra/demo/topology.ts';
import { createRng, type Rng } from '../../../models/stats/index.ts';
import type { EvalSeries } from './forecast-eval.ts';

function binomial(rng: Rng, n: number, p: number): number {
  if (n > 50) {
    // Normal approximation for the larger counts.
    const z = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    return Math.max(0, Math.round(n * p + z * Math.sqrt(n * p * (1 - p))));
  }
  let k = 0;
  for (let i = 0; i < n; i++) if (rng.next() < p) k++;
  return k;
}

/** The first simulated window's start (unix ms): at 60-minute days, a Monday of the compressed calendar (day number 490,896 = 7 x 70,128). */
export const DEMO_T0 = Date.UTC(2026, 0, 1);

/**
 * Per service, the request rate of each `windowSeconds` window over `days`
 * simulated days of `dayMinutes` at `rps`, from {@link DEMO_T0}; with `week`,
 * in the load generator's compressed week (its growth from `week.since`).
 */
export function demoTraffic(opts: { days: number; dayMinutes: number; rps: number; windowSeconds: number; seed: number; week?: WeekRhythm }): EvalSeries[] {
  const rng = createRng(opts.seed);
  const visits = visitsPerRequest(SHOP);
  const windows = Math.round((opts.days * opts.dayMinutes * 60) / opts.windowSeconds);
  const period = Math.round((opts.dayMinutes * 60) / opts.windowSeconds);
  const t0 = DEMO_T0;
  const series = Object.keys(visits).map((name) => ({
    name: `demo/${name}`,
    values: [] as number[],
    truth: [] as number[],
    knownPeriod: period,
    stepSeconds: opts.windowSeconds,
  }));
  let credit = 0;
  for (let w = 0; w < windows; w++) {
    let requests = 0;
    let meanRate = 0;
    // The generator's 100 ms ticks inside this window.
    const ticks = opts.windowSeconds * 10;
    for (let i = 0; i < ticks; i++) {
      const rate = demoRate(opts.rps, opts.dayMinutes, t0 + w * opts.windowSeconds * 1000 + i * 100, opts.week);
      meanRate += rate / ticks;
      credit += rate / 10;
      for (; credit >= 1; credit--) requests++;
    }
    for (const s of series) {
      const v = visits[s.name.slice(5)] as number;
      const whole = Math.floor(v);
      const count = requests * whole + binomial(rng, requests, v - whole);
      s.values.push(count / opts.windowSeconds);
      s.truth.push(meanRate * v);
    }
  }
  return series;
}

/** The demo's traffic as `make demo` sends it (bench-forecast's demo group): 4 compressed weeks of 60-minute days from a Monday in the load generator's default week, its growth from the start. */
export function demoWeeks(seed: number): EvalSeries[] {
  return demoTraffic({ days: 28, dayMinutes: 60, rps: 12, windowSeconds: 10, seed, week: { ...DEFAULT_WEEK, since: DEMO_T0 } });
}
