import { MetricSeries, type MetricSeriesState } from './metric-series.ts';
import { WindowAccumulator, type WindowState } from './window-features.ts';

/** How far (either way) from the wall clock an event time may be before it counts as absurd, ms. */
export const MAX_CLOCK_SKEW_MS = 86_400_000;

/** Serializable window state of one service: open windows, watermark and metric series. */
export interface ServiceWindowState {
  open: WindowState[];
  maxEventMs: number;
  closedUpToMs: number;
  series: MetricSeriesState;
}

interface PerService {
  open: Map<number, WindowAccumulator>;
  maxEventMs: number;
  lastSeenWallMs: number;
  closedUpToMs: number;
  series: MetricSeries;
}

/**
 * Event-time windows of every service this detector instance owns. A window
 * closes when the service's event-time watermark (latest event minus the
 * allowed lateness) passes its end, or when the service has been idle (wall
 * clock) for a window plus the lateness. Data for an already-closed window is
 * late: it is counted and dropped; so is data with an absurd time.
 */
export class ServiceWindows {
  private readonly services = new Map<string, PerService>();
  /** Records dropped because their window had closed. */
  late = 0;
  /** Records dropped because their time was not finite or more than {@link MAX_CLOCK_SKEW_MS} from now. */
  absurd = 0;

  constructor(
    private readonly windowMs: number,
    private readonly latenessMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private state(service: string): PerService {
    let s = this.services.get(service);
    if (!s) {
      s = { open: new Map(), maxEventMs: 0, lastSeenWallMs: this.now(), closedUpToMs: Number.NEGATIVE_INFINITY, series: new MetricSeries() };
      this.services.set(service, s);
    }
    return s;
  }

  /** Whether `tMs` is a usable event time (finite and within a day of the wall clock). */
  saneTime(tMs: number): boolean {
    return Number.isFinite(tMs) && Math.abs(tMs - this.now()) <= MAX_CLOCK_SKEW_MS;
  }

  /** The cumulative-series memory of `service`. */
  seriesOf(service: string): MetricSeries {
    return this.state(service).series;
  }

  /**
   * The accumulator for `service` at event time `tMs`, or undefined when the
   * record is late or its time is absurd (both counted).
   */
  windowFor(service: string, tMs: number): WindowAccumulator | undefined {
    if (!this.saneTime(tMs)) {
      this.absurd++;
      return undefined;
    }
    const start = Math.floor(tMs / this.windowMs) * this.windowMs;
    const s = this.state(service);
    if (start < s.closedUpToMs) {
      this.late++;
      return undefined;
    }
    let acc = s.open.get(start);
    if (!acc) {
      acc = new WindowAccumulator(service, start, start + this.windowMs);
      s.open.set(start, acc);
    }
    if (tMs > s.maxEventMs) s.maxEventMs = tMs;
    s.lastSeenWallMs = this.now();
    return acc;
  }

  /** Like {@link ServiceWindows.windowFor}, but undefined (and nothing counted) for a service without state here. */
  knownWindowFor(service: string, tMs: number): WindowAccumulator | undefined {
    return this.services.has(service) ? this.windowFor(service, tMs) : undefined;
  }

  /** Removes and returns every window that may close now, oldest first per service. */
  closeDue(): WindowAccumulator[] {
    const wall = this.now();
    const out: WindowAccumulator[] = [];
    for (const s of this.services.values()) {
      if (s.open.size === 0) continue;
      const watermark = s.maxEventMs - this.latenessMs;
      const idle = wall - s.lastSeenWallMs >= this.windowMs + this.latenessMs;
      const starts = [...s.open.keys()].sort((a, b) => a - b);
      for (const start of starts) {
        if (!idle && start + this.windowMs > watermark) break;
        out.push(s.open.get(start) as WindowAccumulator);
        s.open.delete(start);
        s.closedUpToMs = start + this.windowMs;
      }
    }
    return out;
  }

  /** Removes and returns every open window (shutdown). */
  closeAll(): WindowAccumulator[] {
    const out: WindowAccumulator[] = [];
    for (const s of this.services.values()) {
      const ws = [...s.open.values()].sort((a, b) => a.startMs - b.startMs);
      out.push(...ws);
      s.open.clear();
      if (ws.length > 0) s.closedUpToMs = (ws[ws.length - 1] as WindowAccumulator).endMs;
    }
    return out;
  }

  /** Number of windows currently open. */
  openCount(): number {
    let n = 0;
    for (const s of this.services.values()) n += s.open.size;
    return n;
  }

  /** Copies the window state of `service` (undefined when unknown). */
  snapshot(service: string): ServiceWindowState | undefined {
    const s = this.services.get(service);
    if (!s) return undefined;
    return {
      open: [...s.open.values()].map((w) => w.toJSON()),
      maxEventMs: s.maxEventMs,
      closedUpToMs: Number.isFinite(s.closedUpToMs) ? s.closedUpToMs : -1,
      series: s.series.toJSON(),
    };
  }

  /** Replaces the window state of `service` with a checkpointed one. */
  restore(service: string, st: ServiceWindowState): void {
    const open = new Map<number, WindowAccumulator>();
    for (const w of st.open) open.set(w.startMs, WindowAccumulator.fromJSON(w));
    this.services.set(service, {
      open,
      maxEventMs: st.maxEventMs,
      lastSeenWallMs: this.now(),
      closedUpToMs: st.closedUpToMs < 0 ? Number.NEGATIVE_INFINITY : st.closedUpToMs,
      series: new MetricSeries(undefined, st.series),
    });
  }

  /** Whether `service` has an open window. */
  hasOpen(service: string): boolean {
    return (this.services.get(service)?.open.size ?? 0) > 0;
  }

  /** Number of services with state here. */
  size(): number {
    return this.services.size;
  }

  /** Forgets `service` (its partition moved to another instance, or it was evicted when idle). */
  drop(service: string): void {
    this.services.delete(service);
  }
}
