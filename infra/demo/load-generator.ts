/**
 * The demo's users: open-loop traffic (Poisson arrivals) at the frontend
 * whose rate follows a daily rhythm compressed into `dayMinutes`, plus the
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

/** Starts sending load; stop() ends it (requests in flight finish). */
export function startLoad(opts: LoadOptions): LoadGenerator {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const visits = visitsPerRequest(SHOP);
  const maxInFlight = opts.maxInFlight ?? 400;
  const stats: LoadStats = { sent: 0, byStatus: {}, dropped: 0, inFlight: 0, currentRps: 0 };
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
    const req = http.request(`${base}${path}?id=${Math.floor(Math.random() * 200)}`, { method, agent, timeout: 15_000 }, (res) => {
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
    let x = Math.random();
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
    const rate = dailyRate(opts.rps, opts.dayMinutes, clock());
    stats.currentRps = rate;
    const now = Date.now();
    elapsedMs = Math.min(1_000, Math.max(0, now - last));
    last = now;
    credit += (rate * elapsedMs) / 1000;
    for (; credit >= 1; credit--) {
      const m = pick();
      send('frontend', m.method, m.path);
    }
    for (const s of opts.surges()) surge(s.service, s.magnitude, rate);
    const recurring = opts.recurringSurge && recurringSurgeAt(opts.recurringSurge, clock());
    if (opts.recurringSurge && recurring !== undefined) surge(opts.recurringSurge.service, recurring, rate);
  }, TICK_MS);
  const surgeCredit: Record<string, number> = {};
  const surge = (service: string, magnitude: number, rate: number) => {
    const spec = opts.services.find((s) => s.name === service);
    if (!spec || spec.routes.length === 0) return;
    // The extra load: (magnitude - 1) times what the service normally receives, at least 2 requests per second.
    const extra = Math.max(2, (magnitude - 1) * rate * (visits[service] ?? 0.5));
    surgeCredit[service] = (surgeCredit[service] ?? 0) + (extra * elapsedMs) / 1000;
    for (; (surgeCredit[service] as number) >= 1; surgeCredit[service]--) {
      const r = spec.routes[Math.floor(Math.random() * spec.routes.length)] as (typeof spec.routes)[number];
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
