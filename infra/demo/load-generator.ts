/**
 * The demo's users: open-loop traffic at the frontend (paced by the rate,
 * each request on a route of the mix at random) whose rate follows a daily
 * rhythm compressed into `dayMinutes`, optionally within a compressed week
 * ({@link WeekRhythm}: weekdays, slow growth, busy and quiet days), plus the
 * extra load of traffic surges sent straight to the surged service.
 */
import http from 'node:http';
import { type ServiceSpec, SHOP } from './topology.ts';

/** Settings of the load generator. */
export interface LoadOptions {
  services: ServiceSpec[];
  /** Service name -> base URL of its load balancer. */
  urls: Record<string, string>;
  /** Mean frontend requests per second over a day. */
  rps: number;
  /** Length of one simulated day in minutes (the rate swings between 40 % and 160 % of `rps`). */
  dayMinutes: number;
  /**
   * The week around the daily rhythm (default none: every day the same, as before):
   * weekday levels, slow growth from the generator's start, and a level of each
   * day of its own. `make demo` turns {@link DEFAULT_WEEK} on.
   */
  week?: WeekRhythm;
  /** Current surges (service and load multiplier). */
  surges: () => Array<{ service: string; magnitude: number }>;
  /** A surge that recurs at a fixed time of every period, on top of `surges`. */
  recurringSurge?: RecurringSurge;
  /** Most requests in flight at once; beyond it arrivals are dropped (counted). */
  maxInFlight?: number;
  /**
   * The demo's clock, unix ms (default `Date.now`): the daily rhythm and the recurring surge follow it, so a bench can
   * put a chosen time of the compressed day at a chosen wall-clock time. Read on every tick.
   */
  clock?: () => number;
  /** Called once per request when it ends (answered, failed or timed out): the client's view of latency. */
  onResult?: (r: RequestResult) => void;
  /**
   * Uniform draws in [0, 1) for the request mix, the surge's routes and the item ids (default `Math.random`): a seeded
   * one sends the same sequence of requests on every run (a bench comparing two runs gives both the same traffic).
   * Read on every draw, so a caller may swap the generator behind it.
   */
  random?: () => number;
}

/** One request as the load generator saw it. */
export interface RequestResult {
  /** Service the request was sent to (`frontend`, or the surged service for a surge's extra requests). */
  service: string;
  method: string;
  path: string;
  /** When it was sent (unix ms). */
  sentAt: number;
  /** Milliseconds from sending to the end of the answer (or to the failure). */
  ms: number;
  /** HTTP status, `error` (connection failed) or `timeout`. */
  status: string;
}

/**
 * A surge that comes back at the same time of every period (e.g. a daily
 * promotion at a fixed hour of the compressed day): `magnitude` times the
 * service's normal load from `atMinute` to `atMinute + durationMinutes` of
 * every `everyMinutes`, counted from the epoch like the daily rhythm.
 */
export interface RecurringSurge {
  service: string;
  magnitude: number;
  everyMinutes: number;
  atMinute: number;
  durationMinutes: number;
}

/** The magnitude of `s` at `t` (unix ms), or undefined outside its surge. */
export function recurringSurgeAt(s: RecurringSurge, t: number): number | undefined {
  const period = s.everyMinutes * 60_000;
  const into = (((t - s.atMinute * 60_000) % period) + period) % period;
  return into < s.durationMinutes * 60_000 ? s.magnitude : undefined;
}

/** Counts of what the load generator saw. */
export interface LoadStats {
  sent: number;
  byStatus: Record<string, number>;
  dropped: number;
  inFlight: number;
  currentRps: number;
}

/** A running load generator. */
export interface LoadGenerator {
  stats(): LoadStats;
  stop(): void;
}

const MIX: Array<{ weight: number; method: 'GET' | 'POST'; path: string }> = [
  { weight: 0.6, method: 'GET', path: '/' },
  { weight: 0.25, method: 'GET', path: '/cart' },
  { weight: 0.15, method: 'POST', path: '/checkout' },
];

/** The frontend rate at `t` (unix ms): a daily sine with its trough at "night". */
export function dailyRate(rps: number, dayMinutes: number, t: number): number {
  const phase = ((t % (dayMinutes * 60_000)) / (dayMinutes * 60_000)) * 2 * Math.PI;
  return rps * (1 - 0.6 * Math.cos(phase));
}

/**
 * A compressed week around the daily rhythm: real traffic's days differ. Days
 * are counted from the epoch like the daily rhythm (day `d` is weekday
 * `d mod 7`, 0 = Monday), so the rate stays a function of the clock alone.
 */
export interface WeekRhythm {
  /** Level of each weekday, Monday first: seven positive multipliers, scaled here so that their mean is 1 (the mean rate stays `rps`). */
  weekdays: number[];
  /** Growth of the traffic per compressed week (0.02: 2 % more each week), compounding from `since`. */
  growthPerWeek: number;
  /** Weeks after which the growth stops (so that a demo left running for days does not outgrow its capacity). */
  growthWeeks: number;
  /** Unix ms where the growth starts: the demo's start (0 in {@link DEFAULT_WEEK}, the epoch, where it has long stopped: set it). */
  since: number;
  /**
   * Standard deviation of the log of each day's own level (0.08: a day is
   * typically 8 % busier or quieter than its weekday, all day long); drawn
   * from `seed` and the day's number, mean 1.
   */
  dayVariation: number;
  /** Seed of the days' own levels. */
  seed: number;
}

/**
 * The default compressed week: Monday to Thursday 1.1, Friday 1.05, Saturday
 * 0.75, Sunday 0.8 (a shop used from work: weekends about 30 % lower), 1 %
 * growth a week for 8 weeks, days 8 % apart (log standard deviation).
 */
export const DEFAULT_WEEK: WeekRhythm = {
  weekdays: [1.1, 1.1, 1.1, 1.1, 1.05, 0.75, 0.8],
  growthPerWeek: 0.01,
  growthWeeks: 8,
  since: 0,
  dayVariation: 0.08,
  seed: 1,
};

/** A uniform number in (0, 1) from two integers (a 32-bit integer hash). */
function hashUnit(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return ((h >>> 0) + 0.5) / 4_294_967_296;
}

/** The level of day number `day` of `week` alone (weekday times its own level, no growth). */
function dayLevel(week: WeekRhythm, day: number): number {
  const mean = week.weekdays.reduce((a, b) => a + b, 0) / week.weekdays.length;
  const weekday = (week.weekdays[((day % 7) + 7) % 7] as number) / mean;
  // Box-Muller from two hashes of the day: the same day always gets the same level.
  const z = Math.sqrt(-2 * Math.log(hashUnit(week.seed, 2 * day))) * Math.cos(2 * Math.PI * hashUnit(week.seed, 2 * day + 1));
  const s = week.dayVariation;
  return weekday * Math.exp(s * z - (s * s) / 2);
}

/**
 * The multiplier of `week` on the daily rhythm at `t` (unix ms): the day's
 * level (its weekday's and its own), moving to the next day's over the last
 * twelfth of the day (the quiet hours, as real traffic changes overnight
 * rather than at a stroke), times the growth since `week.since`.
 */
export function weekFactor(week: WeekRhythm, dayMinutes: number, t: number): number {
  const dayMs = dayMinutes * 60_000;
  const day = Math.floor(t / dayMs);
  const into = (t - day * dayMs) / dayMs;
  const blend = Math.max(0, (into - 11 / 12) * 12);
  const level = (1 - blend) * dayLevel(week, day) + blend * dayLevel(week, day + 1);
  const weeks = Math.min(week.growthWeeks, Math.max(0, (t - week.since) / (7 * dayMs)));
  return level * (1 + week.growthPerWeek) ** weeks;
}

/** The frontend rate at `t` (unix ms): {@link dailyRate}, times {@link weekFactor} when a week is given. */
export function demoRate(rps: number, dayMinutes: number, t: number, week?: WeekRhythm): number {
  const daily = dailyRate(rps, dayMinutes, t);
  return week ? daily * weekFactor(week, dayMinutes, t) : daily;
}

/** Requests per second each service receives per frontend request per second, walking the call graph with the mix. */
export function visitsPerRequest(services: readonly ServiceSpec[]): Record<string, number> {
  const byName = new Map(services.map((s) => [s.name, s]));
  const visits: Record<string, number> = {};
  const walk = (service: string, method: string, path: string, weight: number, depth: number) => {
    const s = byName.get(service);
    const route = s?.routes.find((r) => r.method === method && r.path === path);
    if (!s || !route || depth > 10) return;
    visits[service] = (visits[service] ?? 0) + weight;
    for (const c of [...route.calls, ...(route.flagged?.calls ?? [])]) walk(c.service, c.method ?? 'GET', c.path, weight, depth + 1);
  };
  for (const m of MIX) walk('frontend', m.method, m.path, m.weight, 0);
  return visits;
}

/** Default mean frontend rate, requests per second. */
export const DEFAULT_RPS = 12;
/** A replica serves this many times its share of the mean load (so the daily peak leaves headroom and a 4x surge does not fit). */
export const CAPACITY_HEADROOM = 3;

/** Per service, what one replica can serve (requests per second) for a mean frontend rate of `rps`. */
export function capacityFor(services: readonly ServiceSpec[], rps: number): Record<string, number> {
  const visits = visitsPerRequest(services);
  return Object.fromEntries(services.map((s) => [s.name, Math.max(4, CAPACITY_HEADROOM * rps * (visits[s.name] ?? 0.5))]));
}

/**
 * Requests per second a surge of `magnitude` adds to a service that receives
 * `share` requests per frontend request, at frontend rate `rate`: the service
 * then receives `magnitude` times its load at `max(rate, atLeast)` (an
 * injected surge passes the mean rate: see {@link startLoad}), and at least
 * 2 requests per second more.
 */
export function surgeExtraRps(magnitude: number, share: number, rate: number, atLeast: number): number {
  return Math.max(2, magnitude * Math.max(rate, atLeast) * share - rate * share);
}

/** Starts sending load; stop() ends it (requests in flight finish). */
export function startLoad(opts: LoadOptions): LoadGenerator {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const visits = visitsPerRequest(SHOP);
  const maxInFlight = opts.maxInFlight ?? 400;
  const stats: LoadStats = { sent: 0, byStatus: {}, dropped: 0, inFlight: 0, currentRps: 0 };
  const random = opts.random ?? Math.random;
  const send = (service: string, method: string, path: string) => {
    const base = opts.urls[service];
    if (!base) return;
    if (stats.inFlight >= maxInFlight) {
      stats.dropped++;
      return;
    }
    stats.sent++;
    stats.inFlight++;
    const sentAt = Date.now();
    let ended = false;
    const done = (status: string) => {
      if (ended) return;
      ended = true;
      stats.inFlight--;
      stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
      opts.onResult?.({ service, method, path, sentAt, ms: Date.now() - sentAt, status });
    };
    const req = http.request(`${base}${path}?id=${Math.floor(random() * 200)}`, { method, agent, timeout: 15_000 }, (res) => {
      res.resume();
      res.on('end', () => done(String(res.statusCode)));
      // An answer cut off before its end.
      res.on('close', () => done('error'));
    });
    req.on('timeout', () => {
      done('timeout');
      req.destroy(new Error('timeout'));
    });
    req.on('error', () => done('error'));
    req.end(method === 'POST' ? '{}' : undefined);
  };
  const pick = () => {
    let x = random();
    for (const m of MIX) {
      x -= m.weight;
      if (x <= 0) return m;
    }
    return MIX[0] as (typeof MIX)[number];
  };
  const TICK_MS = 100;
  // Credit accrues for the time that really passed: on a busy host the timer fires late, and a fixed 100 ms per tick
  // sent well under the rate (at load average 46, about half). A stall longer than a second is not made up.
  let last = Date.now();
  let elapsedMs = TICK_MS;
  let credit = 0;
  const clock = opts.clock ?? Date.now;
  const timer = setInterval(() => {
    const rate = demoRate(opts.rps, opts.dayMinutes, clock(), opts.week);
    stats.currentRps = rate;
    const now = Date.now();
    elapsedMs = Math.min(1_000, Math.max(0, now - last));
    last = now;
    credit += (rate * elapsedMs) / 1000;
    for (; credit >= 1; credit--) {
      const m = pick();
      send('frontend', m.method, m.path);
    }
    // An injected surge is `magnitude` times the service's load at the mean rate at least: at the daily trough (0.4 of
    // the mean) 4 times the load of the hour fitted in one replica (sized for 3 times the mean load), so the surge
    // overloaded nothing and there was nothing to detect or to scale (the short bench run's missed surge on sessions-db).
    for (const s of opts.surges()) surge(s.service, s.magnitude, rate, opts.rps);
    const recurring = opts.recurringSurge && recurringSurgeAt(opts.recurringSurge, clock());
    if (opts.recurringSurge && recurring !== undefined) surge(opts.recurringSurge.service, recurring, rate, 0);
  }, TICK_MS);
  const surgeCredit: Record<string, number> = {};
  const surge = (service: string, magnitude: number, rate: number, atLeast: number) => {
    const spec = opts.services.find((s) => s.name === service);
    if (!spec || spec.routes.length === 0) return;
    const extra = surgeExtraRps(magnitude, visits[service] ?? 0.5, rate, atLeast);
    surgeCredit[service] = (surgeCredit[service] ?? 0) + (extra * elapsedMs) / 1000;
    for (; (surgeCredit[service] as number) >= 1; surgeCredit[service]--) {
      const r = spec.routes[Math.floor(random() * spec.routes.length)] as (typeof spec.routes)[number];
      send(service, r.method, r.path);
    }
  };
  return {
    stats: () => ({ ...stats, byStatus: { ...stats.byStatus } }),
    stop() {
      clearInterval(timer);
      agent.destroy();
    },
  };
}
