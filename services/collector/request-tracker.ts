import { settlesWithin } from '../core/deadline.ts';

/** Counts in-flight requests so that stop() can wait for them. */
export class RequestTracker {
  private readonly inflight = new Set<Promise<void>>();

  /** Tracks `p` until it settles. `p` must not reject (handlers answer their own errors). */
  track(p: Promise<void>): void {
    this.inflight.add(p);
    const done = (): void => {
      this.inflight.delete(p);
    };
    p.then(done, done);
  }

  /** Requests still running. */
  size(): number {
    return this.inflight.size;
  }

  /** Resolves when every tracked request has settled, or after `deadlineMs`. */
  async drain(deadlineMs: number): Promise<void> {
    if (this.inflight.size === 0) return;
    await settlesWithin(deadlineMs, Promise.allSettled([...this.inflight]));
  }
}
