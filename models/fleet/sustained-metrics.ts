/**
 * When a runtime-metric deviation pages. Runtime metrics (heap, event-loop
 * delay and utilization, CPU, GC: `metric:*`) are `info` by default
 * (severity.ts): on a busy host they move with its load, and one noisy
 * metric must not start a playbook. But a leaking heap or a runaway loop
 * shows nowhere else until the process dies, so such a deviation becomes a
 * `warning` once it is sustained and it is not the host's noise:
 * - sustained: the same metric has been at least {@link WARNING_DEVIATION}
 *   spreads above its baseline in {@link SUSTAINED_WINDOWS} windows of one
 *   run, a run going on through at most {@link GAP_WINDOWS} windows in a row
 *   without it (a leaking process that dies of it and restarts starts low
 *   again: on the demo, every 30 s);
 * - and either growing, as a leak does: the least-squares trend of its value
 *   over the run's windows rises beyond the scatter around it (a t statistic
 *   of at least {@link TREND_T}), and the growth the trend makes over the run
 *   is beyond noise by the rule of {@link deviationGrew}, measured in the
 *   spread of the run's first window (the baselines of a metric-only
 *   deviation keep learning, see service-models.ts, so later spreads would
 *   hide it); or it climbs in every stretch of the run, at every one of at
 *   least {@link CLIMB_STEPS} steps from one window to the next (a leak that
 *   kills its process and starts again). A GC sawtooth or a metric that
 *   jumps about has neither;
 * - or saturating with clients feeling it: the window's latency is evidence
 *   too (slower than expected), as a starved event loop makes it.
 * A metric that deviates far but flat, with latency as usual, stays `info`,
 * except memory in use (see {@link isMemoryInUse}): a busy host delays a
 * process, fills its event loop and slows its collections, but it does not
 * make the process hold more memory, and a heap that holds several times its
 * usual size is what a leak looks like from outside when the process dies of
 * it and starts again between two reports (on the demo a process leaking
 * 8 MB/s lives about 20 s and reports once, at about the same height each
 * time: no trend, no climb). So memory in use at least
 * {@link CRITICAL_DEVIATION} spreads above its baseline in
 * {@link MEMORY_HELD_WINDOWS} windows of one run is sustained as well; before
 * this it was `info` however long it held, and no playbook acted on a leak.
 */
import type { Evidence } from './outputs.ts';
import { CRITICAL_DEVIATION, deviationGrew, WARNING_DEVIATION } from './severity.ts';

/** Windows in a row a runtime metric must deviate before it can page (one minute of the default 10 s windows). */
export const SUSTAINED_WINDOWS = 6;

/** t statistic of the slope of a run's values from which it is growing rather than scattered (one-sided p < 1 % at the fewest windows). */
export const TREND_T = 4;

/** Windows in a row without the metric far above its baseline that end its run. */
export const GAP_WINDOWS = 4;

/** Steps (window to window within a stretch of a run) a climbing metric must have risen at, every one of them. */
export const CLIMB_STEPS = 3;

/**
 * Windows of one run in which memory in use must be at least
 * {@link CRITICAL_DEVIATION} spreads above its baseline before it pages: one
 * such window may be a reading taken just before a collection, two (at
 * least one report interval apart) are memory the process holds.
 */
export const MEMORY_HELD_WINDOWS = 2;

/**
 * Whether `feature` measures memory a process (or container) holds: a
 * runtime metric named, as the OpenTelemetry semantic conventions name them,
 * `*.memory.*used` or `*.memory.*usage` (`v8js.memory.heap.used`,
 * `jvm.memory.used`, `process.memory.usage`, `container.memory.usage`); not
 * its limit, its free or available size or its virtual size, which do not
 * rise with a leak.
 */
export function isMemoryInUse(feature: string): boolean {
  return /^metric:[^:]*\bmemory\.(?:[^:]*\.)?(?:used|usage)$/.test(feature);
}

/**
 * The run of one deviating runtime metric: its windows far above the
 * baseline, the first one's value, deviation and spread, the sums of the
 * least-squares trend of its values (in spreads of the first window, from
 * the first value; the window's index among the run's is t): sum x, sum t*x,
 * sum x*x; the windows since it was last far above (0: the last window
 * was), its last value, the steps within stretches and how many of them
 * rose, and its windows at least {@link CRITICAL_DEVIATION} spreads above
 * (absent in runs checkpointed before it was kept: counted from 0).
 */
export type MetricRun = [
  windows: number,
  firstObserved: number,
  firstDeviation: number,
  firstSpread: number,
  sx: number,
  stx: number,
  sxx: number,
  gap: number,
  lastObserved: number,
  steps: number,
  rises: number,
  critical: number,
];

/** Runs of deviating runtime metrics of one service, by feature (serializable). */
export type MetricRuns = Record<string, MetricRun>;

/** Whether `e` is a runtime metric at least {@link WARNING_DEVIATION} spreads above its baseline. */
function highMetric(e: Evidence): boolean {
  return e.feature.startsWith('metric:') && e.deviation >= WARNING_DEVIATION;
}

/**
 * Advances the runs of `runs` by one window's `evidence` (a metric absent
 * from it, or back under {@link WARNING_DEVIATION}, for more than
 * {@link GAP_WINDOWS} windows in a row ends its run) and tells
 * whether a runtime-metric deviation is now sustained and beyond noise (see
 * the file's comment). Returns the runs to keep (undefined when none); the
 * object passed in is updated in place. Allocates only for metrics that
 * start a run.
 */
export function advanceMetricRuns(runs: MetricRuns | undefined, evidence: readonly Evidence[]): { runs: MetricRuns | undefined; sustained: boolean } {
  let out = runs;
  if (out) {
    for (const f in out) {
      if (evidence.some((e) => e.feature === f && highMetric(e))) continue;
      const r = out[f] as MetricRun;
      if (++r[7] > GAP_WINDOWS) delete out[f];
    }
  }
  let slower = false;
  for (const e of evidence) if (e.feature.startsWith('latency_') && e.deviation > 0) slower = true;
  let sustained = false;
  for (const e of evidence) {
    if (!highMetric(e)) continue;
    const r = out?.[e.feature];
    if (!r) {
      out ??= {};
      const r0: MetricRun = [1, e.observed, e.deviation, (e.observed - e.expected) / e.deviation, 0, 0, 0, 0, e.observed, 0, 0, 0];
      out[e.feature] = r0;
      if (heldMemory(r0, e)) sustained = true;
      continue;
    }
    const held = heldMemory(r, e);
    const x = (e.observed - r[1]) / r[3];
    const t = r[0]++;
    r[4] += x;
    r[5] += t * x;
    r[6] += x * x;
    if (r[7] === 0) {
      r[9]++;
      if (e.observed > r[8]) r[10]++;
    }
    r[7] = 0;
    r[8] = e.observed;
    if (held) sustained = true;
    if (r[0] < SUSTAINED_WINDOWS) continue;
    const trend = trendOf(r);
    const grown = trend.t >= TREND_T && deviationGrew(r[2], r[2] + trend.slope * (r[0] - 1));
    const climbs = r[9] >= CLIMB_STEPS && r[10] === r[9];
    if (grown || climbs || slower) sustained = true;
  }
  return { runs: out && !isEmpty(out) ? out : undefined, sustained };
}

/** Counts window `e` of run `r` when it is memory in use at least {@link CRITICAL_DEVIATION} spreads above; whether the run now holds it in {@link MEMORY_HELD_WINDOWS} windows. */
function heldMemory(r: MetricRun, e: Evidence): boolean {
  if (!isMemoryInUse(e.feature) || !(e.deviation >= CRITICAL_DEVIATION)) return false;
  r[11] = (r[11] ?? 0) + 1;
  return r[11] >= MEMORY_HELD_WINDOWS;
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

/** Slope (spreads per window) of a run's least-squares trend, and its t statistic (Infinity when the values lie on a line). */
export function trendOf(r: MetricRun): { slope: number; t: number } {
  const n = r[0];
  const st = (n * (n - 1)) / 2;
  const stt = ((n - 1) * n * (2 * n - 1)) / 6;
  const sxt = stt - (st * st) / n;
  const slope = (r[5] - (st * r[4]) / n) / sxt;
  const intercept = (r[4] - slope * st) / n;
  const residual = Math.max(0, r[6] - intercept * r[4] - slope * r[5]);
  if (n < 3) return { slope, t: 0 };
  const se = Math.sqrt(residual / (n - 2) / sxt);
  return { slope, t: se > 0 ? slope / se : slope > 0 ? Number.POSITIVE_INFINITY : 0 };
}
