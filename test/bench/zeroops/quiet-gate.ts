/**
 * The fault-free period before a fault of a one-at-a-time run, measured
 * rather than assumed: it counts only the time in which the shop was quiet
 * (no incident of the run's services open, no execution running), so that
 * the next fault starts on a shop with nothing left of the one before (its
 * incident, its fix's restarted processes, a playbook's run on a blip).
 *
 * Why: the faults of the short run overlapped, each starting a few seconds
 * after the previous one was detected or done with, and two of its last five
 * runs failed on the next fault's first events. A pool exhaustion that began
 * 2 s after cart's rollback was judged on gateway's event that ranked cart
 * (its new process, still slow) first; a surge on sessions-db that began
 * while products-db's own incident was still open was judged on an event
 * that ranked products-db first. The bench separates faults by
 * fault-free periods; this is that separation.
 */
import type { ApiExecution, ApiIncident } from './observations.ts';
import { openIncidents, runningExecutions } from './observations.ts';

/** What keeps the shop from being quiet right now, one phrase each (empty: quiet). */
export function busyWith(open: readonly ApiIncident[], running: readonly ApiExecution[], services: readonly string[]): string[] {
  const ours = new Set(services);
  return [
    ...open.filter((i) => ours.has(i.service)).map((i) => `${i.service} ${i.kind}/${i.severity} incident open`),
    ...running.map((e) => `${e.playbookId} running on ${e.service}`),
  ];
}

/**
 * Counts quiet time: fed one observation at a time (when, and what keeps the
 * shop busy), it says how long the shop has been quiet without a break. Any
 * busy observation starts the count again, so `quietFor` is the length of
 * the current fault-free stretch, not a sum of scraps.
 */
export class QuietClock {
  private since: number | undefined;
  private lastBusy: string[] = [];

  /** Records an observation at `nowMs` (Unix ms); returns the seconds of unbroken quiet up to it. */
  observe(nowMs: number, busy: readonly string[]): number {
    if (busy.length > 0) {
      this.since = undefined;
      this.lastBusy = [...busy];
      return 0;
    }
    this.since ??= nowMs;
    return (nowMs - this.since) / 1000;
  }

  /** What kept the shop busy the last time it was (empty when it never was). */
  get lastReasons(): readonly string[] {
    return this.lastBusy;
  }
}

/** Settings of {@link untilQuiet}. */
export interface QuietGateOptions {
  /** Seconds of unbroken quiet needed. */
  quietSeconds: number;
  /** Longest wait in all, seconds: past it the fault starts anyway (and the progress line says what was still busy). */
  maxSeconds: number;
  /** Seconds between two looks (default 1). */
  pollSeconds?: number;
}

/**
 * Waits until the run's `services` have been quiet (see {@link busyWith})
 * for `quietSeconds` without a break, or `maxSeconds` passed. Returns the
 * seconds waited and whether the quiet was reached.
 */
export async function untilQuiet(
  api: string,
  services: readonly string[],
  opts: QuietGateOptions,
): Promise<{ waited: number; quiet: boolean; busy: readonly string[] }> {
  const clock = new QuietClock();
  const t0 = Date.now();
  const poll = (opts.pollSeconds ?? 1) * 1000;
  for (;;) {
    const [open, running] = await Promise.all([openIncidents(api), runningExecutions(api)]);
    const busy = busyWith(open, running, services);
    const quietFor = clock.observe(Date.now(), busy);
    const waited = (Date.now() - t0) / 1000;
    if (quietFor >= opts.quietSeconds) return { waited, quiet: true, busy: [] };
    if (waited >= opts.maxSeconds) return { waited, quiet: false, busy: busy.length > 0 ? busy : clock.lastReasons };
    await new Promise((r) => setTimeout(r, poll));
  }
}
