/**
 * When a latency deviation pages. On a shared host a single service slows
 * now and then for a window or two with nothing downstream slower: another
 * process starts, scales or restarts, the machine is short of CPU for a few
 * seconds, and the one service that happened to be busy answers 70 ms later
 * than usual at its p95. Ranked on its own it is its own cause (nothing
 * downstream explains it), and a latency playbook restarts or scales a
 * healthy service. A fault that slows a service (an injected delay, a
 * starved event loop, an exhausted pool, a surge it cannot take) lasts:
 * its latency stays out window after window.
 *
 * So the severity of latency follows its duration: a latency quantile counts
 * toward a window's severity only once the service's latency has been at
 * least {@link WARNING_DEVIATION} spreads above its baseline for
 * {@link LATENCY_SUSTAIN_MS} (and in at least
 * {@link LATENCY_SUSTAIN_WINDOWS} windows of one run); before that the
 * window is as severe as its other symptoms say (failing requests page at
 * once, see severity.ts). The episode still opens on the first slow window,
 * so the fault is detected as early as before (an `info` event); only what
 * pages a person or starts a playbook waits for it to last.
 *
 * The time scale is the host's, not the window's: a process that starts on
 * a busy two-core machine holds the CPU for ten to thirty seconds whatever
 * the detector's window. With the default 10 s windows that is three slow
 * windows in a row; with 2 s windows fifteen.
 *
 * A run of slow windows goes on through windows in which the service
 * answered no request (they tell nothing about its latency) and through at
 * most {@link LATENCY_GAP_MS} of windows with requests back under the
 * warning deviation (an exhausted pool answers in bursts); a longer normal
 * stretch ends it.
 */
import type { Evidence } from './outputs.ts';
import { quantileResolved, WARNING_DEVIATION } from './severity.ts';

/** How long a latency deviation must have lasted before it counts for severity, ms (the time a busy host's contention lasts). */
export const LATENCY_SUSTAIN_MS = 30_000;

/** Fewest slow windows of a run before latency counts for severity (with the default 10 s windows: the same 30 s). */
export const LATENCY_SUSTAIN_WINDOWS = 3;

/** Time with requests answered within the warning deviation after which a run of slow windows ends, ms (one default window). */
export const LATENCY_GAP_MS = 10_000;

/** A run of slow windows: start of its first slow window, its slow windows so far, end of its last slow window (Unix ms). Serializable. */
export type LatencyRun = [startMs: number, windows: number, lastSlowEndMs: number];

/** Whether `feature` is a latency quantile (`latency_p50_ms`, ...). */
export function isLatencyFeature(feature: string): boolean {
  return feature.startsWith('latency_');
}

/** Whether the window is slow: a latency quantile its requests resolve is at least the warning deviation above its baseline. */
function slowWindow(evidence: readonly Evidence[], requests: number): boolean {
  for (const e of evidence) if (isLatencyFeature(e.feature) && e.deviation >= WARNING_DEVIATION && quantileResolved(e.feature, requests)) return true;
  return false;
}

/**
 * Advances the latency run `run` (undefined: none) by the window
 * `[startMs, endMs)` with `evidence`, which answered `requests` requests
 * (0: none, the run is left as it is; NaN: unknown, judged as answered).
 * Returns the run to keep (undefined when none; `run` is updated in place)
 * and whether the service's latency deviation is now sustained (see the
 * module comment). Allocates only when a run starts.
 */
export function advanceLatencyRun(
  run: LatencyRun | undefined,
  startMs: number,
  endMs: number,
  evidence: readonly Evidence[],
  requests: number,
): { run: LatencyRun | undefined; sustained: boolean } {
  if (requests === 0) return { run, sustained: run !== undefined && sustainedRun(run, endMs) };
  if (!slowWindow(evidence, requests)) {
    if (run && endMs - run[2] > LATENCY_GAP_MS) return { run: undefined, sustained: false };
    return { run, sustained: false };
  }
  const r: LatencyRun = run ?? [startMs, 0, endMs];
  r[1]++;
  r[2] = endMs;
  return { run: r, sustained: sustainedRun(r, endMs) };
}

/** Whether `run`, seen at `endMs`, has lasted long enough and in enough slow windows. */
function sustainedRun(run: LatencyRun, endMs: number): boolean {
  return run[1] >= LATENCY_SUSTAIN_WINDOWS && endMs - run[0] >= LATENCY_SUSTAIN_MS;
}
