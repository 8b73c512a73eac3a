/**
 * Deadlines backed by a timer this module owns. `AbortSignal.timeout()`
 * combined through `AbortSignal.any()` can be garbage-collected on Node 20
 * before it fires, and a socket `timeout` only measures idleness; a timer
 * held here always fires (or is cleared), whatever the work does.
 */

/** A running deadline: its signal aborts, and `expired` rejects, when the time is up or the parent aborts. */
export interface Deadline {
  /** Aborted with the timeout error (or the parent's reason). Pass it to the work so it stops. */
  readonly signal: AbortSignal;
  /** Never resolves; rejects with the same reason the signal aborts with. Already handled: racing it is optional. */
  readonly expired: Promise<never>;
  /** Stops the timer and detaches from the parent (idempotent). Call it when the work settled. */
  clear(): void;
}

/** Options of {@link startDeadline} and {@link withDeadline}. */
export interface DeadlineOptions {
  /** The error the deadline rejects with (called once, when the time is up). */
  onTimeout: () => Error;
  /** An outer signal (cancellation, shutdown): its abort ends the deadline early with its reason. */
  signal?: AbortSignal;
}

/** Starts a deadline of `ms` milliseconds; the caller owns it and must {@link Deadline.clear} it. */
export function startDeadline(ms: number, opts: DeadlineOptions): Deadline {
  const controller = new AbortController();
  let fail: (reason: unknown) => void = () => undefined;
  const expired = new Promise<never>((_, reject) => {
    fail = reject;
  });
  // Nobody may be racing it: mark it handled so an expiry is never an unhandled rejection.
  expired.catch(() => undefined);
  const end = (reason: unknown): void => {
    if (controller.signal.aborted) return;
    controller.abort(reason);
    fail(reason);
  };
  const parent = opts.signal;
  const onParentAbort = (): void => end(parent?.reason);
  const timer = setTimeout(() => end(opts.onTimeout()), ms);
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  return {
    signal: controller.signal,
    expired,
    clear() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}

/**
 * Runs `work` with a signal that aborts after `ms` milliseconds (or when
 * `opts.signal` aborts), and settles by then at the latest: with `work`'s
 * result, or rejecting with `opts.onTimeout()` (or the parent's reason) even
 * if `work` ignores its signal. The timer is cleared when it settles.
 */
export async function withDeadline<T>(ms: number, work: (signal: AbortSignal) => Promise<T>, opts: DeadlineOptions): Promise<T> {
  const d = startDeadline(ms, opts);
  try {
    // A parent that is already aborted: do not start the work at all.
    if (d.signal.aborted) throw d.signal.reason;
    return await Promise.race([work(d.signal), d.expired]);
  } finally {
    d.clear();
  }
}

/**
 * Waits for `p` at most `ms` milliseconds (through {@link withDeadline}):
 * `true` when it settled in time, `false` when the time ran out first (the
 * work goes on unawaited). A rejection of `p` in time is passed on.
 */
export async function settlesWithin(ms: number, p: Promise<unknown>): Promise<boolean> {
  const late = new Error(`not settled within ${ms} ms`);
  try {
    await withDeadline(ms, () => p, { onTimeout: () => late });
    return true;
  } catch (err) {
    if (err === late) return false;
    throw err;
  }
}
