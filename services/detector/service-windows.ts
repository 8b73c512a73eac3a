import { WindowAccumulator } from './window-features.ts';

/** A closed window, ready to score. */
export interface ClosedWindow {
  acc: WindowAccumulator;
}

/**
 * Event-time windows of every service this detector instance owns. A window
 * closes when the service's event-time watermark (latest event minus the
 * allowed lateness) passes its end, or when the service has been idle (wall
 * clock) for a window plus the lateness. Data for an already-closed window is
 * late: it is counted and dropped.
 */
export class ServiceWindows {
  private readonly open = new Map<string, Map<number, WindowAccumulator>>();
  private readonly maxEvent = new Map<string, number>();
  private readonly lastSeenWall = new Map<string, number>();
  private readonly closedUpTo = new Map<string, number>();
  /** Records dropped because their window had closed, or their time was absurd. */
  late = 0;

  constructor(
    private readonly windowMs: number,
    private readonly latenessMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The accumulator for `service` at event time `tMs`, or undefined when the
   * record is late or its time is absurd (more than a day away from now).
   */
  windowFor(service: string, tMs: number): WindowAccumulator | undefined {
    const wall = this.now();
    if (!Number.isFinite(tMs) || Math.abs(tMs - wall) > 86_400_000) {
      this.late++;
      return undefined;
    }
    const start = Math.floor(tMs / this.windowMs) * this.windowMs;
    if (start < (this.closedUpTo.get(service) ?? Number.NEGATIVE_INFINITY)) {
      this.late++;
      return undefined;
    }
    let byStart = this.open.get(service);
    if (!byStart) {
      byStart = new Map();
      this.open.set(service, byStart);
    }
    let acc = byStart.get(start);
    if (!acc) {
      acc = new WindowAccumulator(service, start, start + this.windowMs);
      byStart.set(start, acc);
    }
    if (tMs > (this.maxEvent.get(service) ?? 0)) this.maxEvent.set(service, tMs);
    this.lastSeenWall.set(service, wall);
    return acc;
  }

  /** Removes and returns every window that may close now, oldest first per service. */
  closeDue(): WindowAccumulator[] {
    const wall = this.now();
    const out: WindowAccumulator[] = [];
    for (const [service, byStart] of this.open) {
      const watermark = (this.maxEvent.get(service) ?? 0) - this.latenessMs;
      const idle = wall - (this.lastSeenWall.get(service) ?? wall) >= this.windowMs + this.latenessMs;
      const starts = [...byStart.keys()].sort((a, b) => a - b);
      for (const start of starts) {
        if (idle || start + this.windowMs <= watermark) {
          out.push(byStart.get(start)!);
          byStart.delete(start);
          this.closedUpTo.set(service, start + this.windowMs);
        }
      }
      if (byStart.size === 0) this.open.delete(service);
    }
    return out;
  }

  /** Removes and returns every open window (shutdown). */
  closeAll(): WindowAccumulator[] {
    const out: WindowAccumulator[] = [];
    for (const byStart of this.open.values()) out.push(...[...byStart.values()].sort((a, b) => a.startMs - b.startMs));
    this.open.clear();
    return out;
  }

  /** Number of windows currently open. */
  openCount(): number {
    let n = 0;
    for (const m of this.open.values()) n += m.size;
    return n;
  }
}
