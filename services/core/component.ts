/**
 * The lifecycle every pipeline stage follows (collector receivers, detector,
 * executor, api, ...).
 *
 * `start()` acquires resources and begins work. `stop()` is idempotent, safe
 * to call before `start()`, stops intake, drains in-flight work, commits
 * offsets and releases resources; it should finish before `deadlineMs`.
 */
export interface Component {
  /** Short name used in logs and health reports, e.g. `collector`. */
  readonly name: string;
  start(): Promise<void>;
  stop(deadlineMs?: number): Promise<void>;
  /**
   * Whether the component serves right now, for /readyz: `'ok'`, or what it
   * waits for (e.g. `not joined to consumer group x`). Absent: it serves
   * from the moment `start()` resolves until `stop()` is called.
   */
  ready?(): 'ok' | string;
}

/** Starts components in order; if one fails, stops those already started (in reverse) and rethrows. */
export async function startAll(components: readonly Component[]): Promise<void> {
  const started: Component[] = [];
  try {
    for (const c of components) {
      await c.start();
      started.push(c);
    }
  } catch (err) {
    await stopAll(started.reverse());
    throw err;
  }
}

/** Stops components in the given order, continuing past failures; returns the errors met. */
export async function stopAll(components: readonly Component[], deadlineMs = 10_000): Promise<unknown[]> {
  const errors: unknown[] = [];
  for (const c of components) {
    try {
      await c.stop(deadlineMs);
    } catch (err) {
      errors.push(err);
    }
  }
  return errors;
}
