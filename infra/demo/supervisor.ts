/**
 * The demo supervisor: runs every service's replicas as child processes
 * behind its load balancer, restarts crashed ones with back-off, and carries
 * out the operations (restart, scale, deploy, rollback, flags, cache clear).
 */
import { type LoadBalancer, startLoadBalancer } from './load-balancer.ts';
import { type Replica, spawnReplica } from './replica.ts';
import type { ProcessEffect } from './service/protocol.ts';
import { BASE_VERSION, DEFAULT_FLAGS, type ServiceSpec } from './topology.ts';

/** Settings of a supervisor. */
export interface SupervisorOptions {
  services: ServiceSpec[];
  /** Port of the first load balancer; the others follow in order (0: free ports). */
  basePort: number;
  /** OTLP/HTTP base URL the services export to ('' for none). */
  otlpEndpoint: string;
  metricIntervalMs: number;
  /** Requests per second one replica of each service can serve. */
  capacityRps: Record<string, number>;
  /** Called when a replica dies without being asked to (for the ground-truth log). */
  onCrash?: (service: string, replica: string, code: number | string) => void;
  /** Called when a replica that replaces a crashed one fails to start. */
  onRespawnFailure?: (service: string, err: Error) => void;
}

/** What the control plane shows of a service. */
export interface ServiceStatus {
  name: string;
  url: string;
  version: string;
  previousVersions: string[];
  replicas: Array<{ id: string; pid: number | undefined; port: number | undefined; version: string; startedAt: string }>;
  desiredReplicas: number;
  restarts: number;
  crashes: number;
}

interface Managed {
  spec: ServiceSpec;
  lb: LoadBalancer;
  replicas: Replica[];
  desired: number;
  version: string;
  bugRate: number;
  history: Array<{ version: string; bugRate: number }>;
  effects: ProcessEffect[];
  restarts: number;
  crashes: number;
  consecutiveCrashes: number;
  seq: number;
}

/** Requests per second one replica serves when its service has no capacity of its own in the settings. */
const DEFAULT_CAPACITY_RPS = 20;
const MAX_BACKOFF_MS = 10_000;
/** Longest wait for a replica taken out of the balancer to finish the requests it holds before it is stopped. */
const DRAIN_MS = 15_000;
const DRAIN_POLL_MS = 50;

/** The supervisor of the demo's processes. */
export class Supervisor {
  private readonly managed = new Map<string, Managed>();
  private flags: Record<string, boolean> = { ...DEFAULT_FLAGS };
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(private readonly opts: SupervisorOptions) {}

  /** Starts the load balancers, then every replica; resolves when all are ready. */
  static async start(opts: SupervisorOptions): Promise<Supervisor> {
    const sup = new Supervisor(opts);
    try {
      for (const [i, spec] of opts.services.entries()) {
        const lb = await startLoadBalancer(spec.name, opts.basePort === 0 ? 0 : opts.basePort + i);
        sup.managed.set(spec.name, {
          spec,
          lb,
          replicas: [],
          desired: spec.replicas,
          version: BASE_VERSION,
          bugRate: 0,
          history: [],
          effects: [],
          restarts: 0,
          crashes: 0,
          consecutiveCrashes: 0,
          seq: 0,
        });
      }
      // Two at a time: each process loads the OpenTelemetry SDK, and a crowd of them starves a small host.
      const pending = [...sup.managed.values()];
      const worker = async () => {
        for (let m = pending.shift(); m; m = pending.shift()) await sup.fill(m);
      };
      await Promise.all([worker(), worker()]);
    } catch (err) {
      await sup.stop();
      throw err;
    }
    return sup;
  }

  /** Names of the supervised services. */
  names(): string[] {
    return [...this.managed.keys()];
  }

  /** The specs of the supervised services, in start order. */
  specs(): ServiceSpec[] {
    return [...this.managed.values()].map((m) => m.spec);
  }

  /** Requests per second one replica of each supervised service serves. */
  capacities(): Record<string, number> {
    return Object.fromEntries([...this.managed.keys()].map((name) => [name, this.opts.capacityRps[name] ?? DEFAULT_CAPACITY_RPS]));
  }

  /** Replicas the service is set to run (what the last scale asked for; its designed count before). */
  desiredReplicas(service: string): number {
    return this.get(service).desired;
  }

  /** Base URL of a service's load balancer. */
  url(service: string): string {
    return this.get(service).lb.url;
  }

  /** Requests the service's load balancer forwarded per replica port. */
  forwarded(service: string): Record<number, number> {
    return this.get(service).lb.forwarded();
  }

  /** Status of every service (or one). */
  status(service?: string): ServiceStatus[] {
    const list = service ? [this.get(service)] : [...this.managed.values()];
    return list.map((m) => ({
      name: m.spec.name,
      url: m.lb.url,
      version: m.version,
      previousVersions: m.history.map((h) => h.version),
      replicas: m.replicas.map((r) => ({ id: r.id, pid: r.child.pid, port: r.port, version: r.version, startedAt: new Date(r.startedAt).toISOString() })),
      desiredReplicas: m.desired,
      restarts: m.restarts,
      crashes: m.crashes,
    }));
  }

  /** Replaces every replica with a fresh process (new ones ready first, then the old ones stop). */
  async restart(service: string): Promise<void> {
    const m = this.get(service);
    m.restarts++;
    await this.replaceAll(m);
  }

  /** Sets the replica count (1..10). */
  async scale(service: string, replicas: number): Promise<void> {
    const m = this.get(service);
    m.desired = replicas;
    const extra = m.replicas.splice(replicas);
    this.route(m);
    await this.retire(m, extra);
    await this.fill(m);
  }

  /** Rolls out `version` (whose bug fails `bugRate` of requests), remembering the current one for a rollback. */
  async deploy(service: string, version: string, bugRate: number): Promise<void> {
    const m = this.get(service);
    m.history.push({ version: m.version, bugRate: m.bugRate });
    m.version = version;
    m.bugRate = bugRate;
    await this.replaceAll(m);
  }

  /** Rolls back to the previous version; false when there is none. */
  async rollback(service: string): Promise<boolean> {
    const m = this.get(service);
    const prev = m.history.pop();
    if (!prev) return false;
    m.version = prev.version;
    m.bugRate = prev.bugRate;
    await this.replaceAll(m);
    return true;
  }

  /** Current feature flags. */
  getFlags(): Record<string, boolean> {
    return { ...this.flags };
  }

  /** Sets a feature flag on every replica of every service. */
  setFlag(name: string, value: boolean): void {
    this.flags = { ...this.flags, [name]: value };
    for (const m of this.managed.values()) for (const r of m.replicas) r.send({ type: 'flags', flags: this.flags });
  }

  /** Asks every replica of `service` to clear its cache. */
  clearCache(service: string): number {
    const m = this.get(service);
    for (const r of m.replicas) r.send({ type: 'cache-clear' });
    return m.replicas.length;
  }

  /** Sets the faults the service's processes act out (sent to running replicas, given to new ones). */
  setEffects(service: string, effects: ProcessEffect[]): void {
    const m = this.get(service);
    m.effects = effects;
    for (const r of m.replicas) r.send({ type: 'effects', effects });
  }

  /** Stops every replica and load balancer (idempotent). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    const all = [...this.managed.values()];
    await Promise.all(all.flatMap((m) => m.replicas.map((r) => r.stop())));
    await Promise.all(all.map((m) => m.lb.close()));
  }

  private get(service: string): Managed {
    const m = this.managed.get(service);
    if (!m) throw new Error(`unknown service "${service}"`);
    return m;
  }

  private route(m: Managed): void {
    m.lb.setBackends(m.replicas.filter((r) => r.port !== undefined && !r.stopping).map((r) => r.port as number));
  }

  private spawn(m: Managed): Replica {
    const cfg = {
      spec: m.spec,
      version: m.version,
      bugRate: m.bugRate,
      capacityRps: this.opts.capacityRps[m.spec.name] ?? DEFAULT_CAPACITY_RPS,
      instanceId: `${m.spec.name}-${++m.seq}`,
      peers: Object.fromEntries([...this.managed.values()].map((o) => [o.spec.name, o.lb.url])),
      otlpEndpoint: this.opts.otlpEndpoint,
      metricIntervalMs: this.opts.metricIntervalMs,
      effects: m.effects,
      flags: this.flags,
    };
    const r = spawnReplica(cfg, () => undefined);
    void r.exited.then((code) => this.onExit(m, r, code));
    return r;
  }

  /** Starts replicas until the desired count runs; resolves when they are ready. */
  private async fill(m: Managed): Promise<void> {
    const fresh: Replica[] = [];
    while (m.replicas.length < m.desired) {
      const r = this.spawn(m);
      m.replicas.push(r);
      fresh.push(r);
    }
    await Promise.all(fresh.map((r) => r.ready.then(() => this.route(m))));
  }

  /**
   * A rolling switch: the new replicas start while the old ones serve; once
   * they are ready the balancer sends new requests to them only, and each old
   * replica is stopped after the requests it holds are answered (drained), so
   * the switch fails no request.
   */
  private async replaceAll(m: Managed): Promise<void> {
    const old = m.replicas;
    const fresh = Array.from({ length: m.desired }, () => this.spawn(m));
    m.replicas = [...fresh];
    try {
      await Promise.all(fresh.map((r) => r.ready));
    } finally {
      this.route(m);
      await this.retire(m, old);
    }
  }

  /** Stops replicas already taken out of the balancer, each once its requests in flight are answered (at most {@link DRAIN_MS}). */
  private async retire(m: Managed, replicas: Replica[]): Promise<void> {
    await Promise.all(
      replicas.map(async (r) => {
        // Marked first: an exit while draining is no crash to restart.
        r.stopping = true;
        const until = Date.now() + DRAIN_MS;
        while (r.port !== undefined && m.lb.inFlight(r.port) > 0 && Date.now() < until && !this.stopped) {
          await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
        }
        await r.stop();
      }),
    );
  }

  private onExit(m: Managed, r: Replica, code: number | string): void {
    if (r.stopping || this.stopped) return;
    m.crashes++;
    this.opts.onCrash?.(m.spec.name, r.id, code);
    m.consecutiveCrashes = Date.now() - r.startedAt > 30_000 ? 1 : m.consecutiveCrashes + 1;
    m.replicas = m.replicas.filter((x) => x !== r);
    this.route(m);
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** (m.consecutiveCrashes - 1));
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) void this.fill(m).catch((err: Error) => this.opts.onRespawnFailure?.(m.spec.name, err));
    }, delay);
    this.timers.add(t);
  }
}
