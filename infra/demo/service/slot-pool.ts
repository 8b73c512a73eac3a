/**
 * The connection pool of a demo replica: `size` slots, a bounded queue of
 * waiters with a deadline, and slots that a `pool-exhaustion` fault leaks
 * (taken and never given back; only a new process has them all again).
 */

/** Why a request got no slot. */
export type SlotRefusal = 'queue-full' | 'timeout';

/** A bounded pool of slots with a waiting queue. */
export class SlotPool {
  private inUse = 0;
  private leakedSlots = 0;
  private readonly waiters: Array<{ grant: () => void; timer: NodeJS.Timeout }> = [];

  /**
   * @param size slots (requests served at once)
   * @param queueLimit waiters held before refusing at once
   * @param waitMs how long a waiter waits before it is refused
   */
  constructor(
    private readonly size: number,
    private readonly queueLimit: number,
    private readonly waitMs: number,
  ) {}

  /** Slots taken by requests plus leaked ones. */
  get busy(): number {
    return this.inUse + this.leakedSlots;
  }

  /** Slots leaked so far. */
  get leaked(): number {
    return this.leakedSlots;
  }

  /** Slots in all (the pool's maximum). */
  get capacity(): number {
    return this.size;
  }

  /** Requests waiting for a slot now (none is free). */
  get pending(): number {
    return this.waiters.length;
  }

  /** Resolves with a release function, or with the reason no slot came. */
  acquire(): Promise<(() => void) | SlotRefusal> {
    if (this.busy < this.size && this.waiters.length === 0) return Promise.resolve(this.take());
    if (this.waiters.length >= this.queueLimit) return Promise.resolve('queue-full');
    return new Promise((resolve) => {
      const w = {
        grant: () => resolve(this.take()),
        timer: setTimeout(() => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          resolve('timeout');
        }, this.waitMs),
      };
      this.waiters.push(w);
    });
  }

  /** Takes one free slot for good (a leaked connection); false when none is free. */
  leak(): boolean {
    if (this.busy >= this.size) return false;
    this.leakedSlots++;
    return true;
  }

  private take(): () => void {
    this.inUse++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inUse--;
      this.next();
    };
  }

  private next(): void {
    while (this.busy < this.size && this.waiters.length > 0) {
      const w = this.waiters.shift() as { grant: () => void; timer: NodeJS.Timeout };
      clearTimeout(w.timer);
      w.grant();
    }
  }
}

/**
 * A replica's own work: one request at a time, 1/capacityRps seconds each,
 * in arrival order (a single-threaded server). Beyond `maxQueueMs` of backlog
 * a request is refused at once.
 *
 * That work is the process's CPU time: when something else in the process
 * takes most of its one thread (a runaway loop, see process-effects.ts
 * `cpuShareLeft`), each request's work takes as much longer as the share of
 * the thread left to it is smaller, so the replica serves fewer requests a
 * second and a load it took with room to spare queues, then is refused.
 */
export class WorkQueue {
  private busyUntil = 0;

  constructor(
    private readonly capacityRps: number,
    private readonly maxQueueMs: number,
  ) {}

  /**
   * Milliseconds until this request's work is done, or undefined when the
   * backlog is too long. `cpuShare` (0..1], default 1) is the share of the
   * process's thread its requests get: the request's work takes
   * 1 / (capacityRps x cpuShare) seconds.
   */
  admit(now = Date.now(), cpuShare = 1): number | undefined {
    const start = Math.max(now, this.busyUntil);
    if (start - now > this.maxQueueMs) return undefined;
    this.busyUntil = start + 1000 / (this.capacityRps * cpuShare);
    return this.busyUntil - now;
  }
}
