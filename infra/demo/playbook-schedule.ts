/**
 * When `zeroops demo run` applies the demo playbooks: `--warmup-minutes`
 * after the command started (not after the shop is up, which on a busy host
 * takes a minute or more), but never before the shop is up and every demo
 * service is past the detector's warm-up (first seen in telemetry at least
 * `serviceWarmupSeconds` ago, per GET /api/v1/services): start-up itself
 * (cold processes, an untrained detector) looks anomalous.
 */

/**
 * The demo's detector warm-up in windows, unless ZEROOPS_DETECTOR_WARMUP_WINDOWS
 * is set: 20 (200 s at the default 10 s window) instead of 30, so that every
 * service of the shop, whose first telemetry comes up to a minute after the
 * command on a busy host, is past it within the 5 minutes after which the demo
 * promises to act on faults (with 30 the playbooks came 335-369 s after the
 * command). Its spreads are estimated from two thirds of the usual windows.
 */
export const DEMO_WARMUP_WINDOWS = 20;

/**
 * The warm-up settings `zeroops demo run` runs with: the detector's warm-up
 * windows (from `env`, else {@link DEMO_WARMUP_WINDOWS}) and, unless
 * ZEROOPS_SERVICE_WARMUP_SECONDS is set, the services' `warming_up` time (which
 * also holds the playbooks back) as long as those windows.
 */
export function demoWarmup(env: Record<string, string | undefined>, windowSeconds: number): { detectorWarmupWindows?: number; serviceWarmupSeconds?: number } {
  const windows = env.ZEROOPS_DETECTOR_WARMUP_WINDOWS === undefined ? DEMO_WARMUP_WINDOWS : undefined;
  const seconds = env.ZEROOPS_SERVICE_WARMUP_SECONDS === undefined ? (windows ?? Number(env.ZEROOPS_DETECTOR_WARMUP_WINDOWS)) * windowSeconds : undefined;
  return {
    ...(windows === undefined ? {} : { detectorWarmupWindows: windows }),
    ...(seconds === undefined || !Number.isFinite(seconds) ? {} : { serviceWarmupSeconds: seconds }),
  };
}

/** What decides when the playbooks are due. Times are epoch milliseconds. */
export interface PlaybookTiming {
  /** When the command started (the process's start). */
  commandStartMs: number;
  /** The warm-up counted from `commandStartMs`, in minutes. */
  warmupMinutes: number;
  /** How long a service warms up after it is first seen, in milliseconds (`serviceWarmupSeconds` * 1000). */
  serviceWarmupMs: number;
}

/**
 * When the playbooks are due: the later of the command's start plus the
 * warm-up and the last service's first sighting plus its warm-up; undefined
 * while some service has not been seen yet.
 */
export function playbooksDueAt(t: PlaybookTiming, firstSeenMs: ReadonlyArray<number | undefined>): number | undefined {
  if (firstSeenMs.some((ms) => ms === undefined)) return undefined;
  const lastSeen = Math.max(...(firstSeenMs as number[]));
  return Math.max(t.commandStartMs + t.warmupMinutes * 60_000, lastSeen + t.serviceWarmupMs);
}

/** What {@link schedulePlaybooks} needs: the zeroops API, the demo's services, and what to do when due. */
export interface PlaybookScheduleDeps extends PlaybookTiming {
  /** The zeroops API's base URL. */
  api: string;
  /** An operator or admin token, when the API requires one. */
  token: string | undefined;
  /** The demo's service names (as in `service.name`). */
  services: readonly string[];
  /** Applies the playbooks (called once). */
  apply: () => Promise<void>;
  /** Says what the schedule is waiting for. */
  print: (line: string) => void;
  /** How often to look again while a service is unseen or the API does not answer, ms (default 5000). */
  pollMs?: number;
}

/** A running schedule; `stop()` cancels it (idempotent). */
export interface PlaybookSchedule {
  stop(): void;
}

async function firstSeen(deps: PlaybookScheduleDeps): Promise<Array<number | undefined>> {
  const res = await fetch(`${deps.api}/api/v1/services`, { headers: deps.token ? { authorization: `Bearer ${deps.token}` } : {} });
  if (!res.ok) throw new Error(`GET /api/v1/services answered ${res.status}`);
  const body = (await res.json()) as { items: Array<{ name: string; firstSeen: string }> };
  const seen = new Map(body.items.map((s) => [s.name, Date.parse(s.firstSeen)]));
  return deps.services.map((name) => seen.get(name));
}

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);

/** Applies the playbooks once they are due (see {@link playbooksDueAt}), checking the services' first sightings when the warm-up is over. */
export function schedulePlaybooks(deps: PlaybookScheduleDeps): PlaybookSchedule {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let waitedFor = '';
  const at = (ms: number, fn: () => void) => {
    if (!stopped) timer = setTimeout(fn, Math.max(0, ms - Date.now()));
  };
  const check = () => {
    firstSeen(deps).then(
      (seen) => {
        const due = playbooksDueAt(deps, seen);
        if (due !== undefined && due <= Date.now()) {
          if (!stopped) void deps.apply();
          return;
        }
        const why =
          due === undefined
            ? `not seen yet: ${deps.services.filter((_, i) => seen[i] === undefined).join(', ')}`
            : `the detector's warm-up of the last service started ends at ${clock(due)} UTC`;
        if (why !== waitedFor) deps.print(`playbooks wait: ${why}`);
        waitedFor = why;
        at(due ?? Date.now() + (deps.pollMs ?? 5_000), check);
      },
      (err: unknown) => {
        deps.print(`playbooks wait: ${(err as Error).message}; trying again`);
        at(Date.now() + (deps.pollMs ?? 5_000), check);
      },
    );
  };
  at(deps.commandStartMs + deps.warmupMinutes * 60_000, check);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
