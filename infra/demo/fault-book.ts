/**
 * The demo's faults and their ground truth: injects a fault into the
 * supervised system, ends it when its fix is applied, when its time is up or
 * when it is cleared, and appends every event to a JSON-lines log.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { FAULT_INFO, type FaultKind, type FixOperation, surgeReplicas } from './fault-kinds.ts';
import { CAPACITY_HEADROOM } from './load-generator.ts';
import type { Supervisor } from './supervisor.ts';
import { BAD_VERSION } from './topology.ts';

/** A fault, as GET /faults shows it. */
export interface FaultRecord {
  id: string;
  service: string;
  kind: FaultKind;
  magnitude: number;
  durationSeconds: number;
  /** The operation that ends it (`none`: escalation is the right answer). */
  fix: FixOperation;
  startedAt: string;
  /** When it ends by itself. */
  plannedEndAt: string;
  state: 'active' | 'ended';
  endedAt?: string;
  /** `fix:<operation>`, `expired` or `cleared`. */
  endedBy?: string;
}

/** Thrown for a request the book refuses (answered 4xx by the control plane). */
export class FaultConflict extends Error {}

/** Appends one JSON line per event to `path` (with a timestamp). */
export function groundTruthLog(path: string): (event: Record<string, unknown>) => void {
  mkdirSync(dirname(path), { recursive: true });
  return (event) => appendFileSync(path, `${JSON.stringify({ ts: new Date().toISOString(), ...event })}\n`);
}

const PROCESS_KINDS: readonly FaultKind[] = ['latency', 'errors', 'crash-loop', 'memory-leak', 'cpu-hog', 'dependency-down', 'pool-exhaustion'];

/** The faults of one demo run. */
export class FaultBook {
  private readonly faults: FaultRecord[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private seq = 0;
  /** Surges whose extra load was stopped by hand (a fixed surge keeps its load until its time is up). */
  private readonly stoppedSurges = new Set<string>();

  constructor(
    private readonly sup: Supervisor,
    private readonly log: (event: Record<string, unknown>) => void,
  ) {}

  /** Every fault of this run, newest first. */
  list(): FaultRecord[] {
    return [...this.faults].reverse().map((f) => ({ ...f }));
  }

  /** Active faults (optionally of one service). */
  active(service?: string): FaultRecord[] {
    return this.faults.filter((f) => f.state === 'active' && (!service || f.service === service));
  }

  /** Services under a traffic surge, with its multiplier, until the surge's time is up (scaling absorbs it but does not stop it). */
  surges(): Array<{ service: string; magnitude: number }> {
    const now = Date.now();
    return this.faults
      .filter((f) => f.kind === 'traffic-surge' && Date.parse(f.plannedEndAt) > now && !this.stoppedSurges.has(f.id))
      .map((f) => ({ service: f.service, magnitude: f.magnitude }));
  }

  /** Starts a fault; one per service and kind at a time. */
  async inject(service: string, kind: FaultKind, magnitude: number | undefined, durationSeconds: number): Promise<FaultRecord> {
    if (!this.sup.names().includes(service)) throw new FaultConflict(`unknown service "${service}"; the demo runs ${this.sup.names().join(', ')}`);
    if (this.active(service).some((f) => f.kind === kind)) throw new FaultConflict(`${service} already has an active ${kind} fault; clear it first`);
    const info = FAULT_INFO[kind];
    const m = magnitude ?? info.magnitude;
    if (m < info.range[0] || m > info.range[1])
      throw new FaultConflict(`magnitude of ${kind} must be within ${info.range[0]}..${info.range[1]} (${info.unit})`);
    const now = Date.now();
    const f: FaultRecord = {
      id: `f${++this.seq}-${service}-${kind}`,
      service,
      kind,
      magnitude: m,
      durationSeconds,
      fix: info.fix,
      startedAt: new Date(now).toISOString(),
      plannedEndAt: new Date(now + durationSeconds * 1000).toISOString(),
      state: 'active',
    };
    this.faults.push(f);
    this.log({ event: 'fault.started', ...f });
    this.timers.set(
      f.id,
      setTimeout(() => void this.end(f, 'expired'), durationSeconds * 1000),
    );
    if (kind === 'bad-deploy') await this.sup.deploy(service, BAD_VERSION, m);
    else this.pushEffects(service);
    return { ...f };
  }

  /**
   * Records that `op` was applied to `service` and ends the faults it fixes
   * (for `scale` to `replicas`: the surges that every service they overload
   * can now absorb, see {@link FaultBook.absorbedSurges}, which may be a
   * surge on a caller of `service`).
   * Call it for `restart` before the restart (new processes start without the
   * fault) and for `rollback` and `scale` after the operation.
   */
  fixedBy(service: string, op: FixOperation, replicas?: number): FaultRecord[] {
    const fixed = op === 'scale' ? this.absorbedSurges(service, replicas ?? 0) : this.active(service).filter((f) => f.fix === op);
    for (const f of fixed) this.finish(f, `fix:${op}`);
    for (const name of new Set(fixed.map((f) => f.service))) this.pushEffects(name);
    return fixed;
  }

  /**
   * The active surges that scaling `service` to `replicas` completes the fix
   * of: those whose extra requests reach `service` and that every service
   * they overload now runs enough replicas to absorb (fault-kinds.ts
   * `surgeReplicas`). A surge on cart also overloads sessions-db, sized like
   * one cart replica: scaling cart alone left a third of the surge's
   * requests failing after 2 s in sessions-db's queue, so it is fixed once
   * both are scaled, in either order.
   */
  private absorbedSurges(service: string, replicas: number): FaultRecord[] {
    const specs = this.sup.specs();
    const capacities = this.sup.capacities();
    const replicasOf = (name: string) => (name === service ? replicas : this.sup.desiredReplicas(name));
    return this.faults.filter((f) => {
      if (f.state !== 'active' || f.fix !== 'scale') return false;
      // Only the services the demo runs are walked (a subset of the shop has no others on the path).
      const path = Object.entries(surgeReplicas(specs, capacities, CAPACITY_HEADROOM, f.service, f.magnitude));
      return path.some(([name]) => name === service) && path.every(([name, n]) => replicasOf(name) >= n);
    });
  }

  /** Ends the active faults of `service` (or of every service); returns them. */
  async clear(service?: string): Promise<FaultRecord[]> {
    const ended = this.active(service);
    for (const f of this.faults) if (f.kind === 'traffic-surge' && (!service || f.service === service)) this.stoppedSurges.add(f.id);
    for (const f of ended) await this.end(f, 'cleared');
    return ended;
  }

  /** Cancels the timers (the run is over). */
  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private finish(f: FaultRecord, endedBy: string): void {
    f.state = 'ended';
    f.endedAt = new Date().toISOString();
    f.endedBy = endedBy;
    clearTimeout(this.timers.get(f.id));
    this.timers.delete(f.id);
    this.log({ event: 'fault.ended', id: f.id, service: f.service, kind: f.kind, endedBy, startedAt: f.startedAt, endedAt: f.endedAt, fix: f.fix });
  }

  /** Ends a fault by time or by hand, undoing what it did. */
  private async end(f: FaultRecord, endedBy: 'expired' | 'cleared'): Promise<void> {
    if (f.state === 'ended') return;
    this.finish(f, endedBy);
    if (f.kind === 'bad-deploy' && this.sup.status(f.service)[0]?.version === BAD_VERSION) await this.sup.rollback(f.service);
    else this.pushEffects(f.service);
  }

  private pushEffects(service: string): void {
    const effects = this.active(service)
      .filter((f) => PROCESS_KINDS.includes(f.kind))
      .map((f) => ({ kind: f.kind, magnitude: f.magnitude, startedAt: Date.parse(f.startedAt) }));
    this.sup.setEffects(service, effects);
  }
}
