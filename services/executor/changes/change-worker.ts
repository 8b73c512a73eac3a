/**
 * The executor's worker for managed changes: polls for due changes (and
 * unfinished ones whose lease expired), claims each under a lease (one
 * executor at a time), renews it while driving, and gives it back on stop.
 */
import { describeError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { Telemetry } from '../../core/telemetry.ts';
import { claimChange, findDueChanges, releaseChangeLease, renewChangeLease } from './change-repo.ts';
import { ChangeLeaseLost, type ChangeRunDeps, driveChange } from './change-runner.ts';

/** Settings of {@link createChangeWorker}. */
export interface ChangeWorkerSettings extends ChangeRunDeps {
  logger: Logger;
  telemetry: Telemetry;
  leaseMs: number;
  pollMs: number;
  /** Most changes driven at once by this process. */
  maxRunning: number;
}

/** Start/stop of the change worker. */
export interface ChangeWorker {
  start(): void;
  /** Stops polling, aborts the changes it drives and gives their leases back. */
  stop(): Promise<void>;
}

/** Creates the worker (nothing runs until `start`). */
export function createChangeWorker(s: ChangeWorkerSettings): ChangeWorker {
  const running = new Map<string, { ctl: AbortController; done: Promise<void> }>();
  let timer: NodeJS.Timeout | undefined;
  let stopping = true;

  async function run(id: string): Promise<void> {
    const row = await claimChange(s.db, id, s.owner, s.leaseMs);
    if (!row) return;
    const ctl = new AbortController();
    const beat = setInterval(
      () =>
        void renewChangeLease(s.db, id, s.owner, s.leaseMs)
          .then((ok) => ok || ctl.abort(new ChangeLeaseLost(id)))
          .catch((err: unknown) => s.logger.warn({ err: describeError(err), change: id }, 'change lease renewal failed; retrying')),
      Math.max(50, Math.floor(s.leaseMs / 3)),
    );
    beat.unref();
    const done = driveChange(s, row, ctl.signal)
      .then((end) => s.telemetry.count('zeroops.executor.changes', { state: end.state }))
      .catch(async (err: unknown) => {
        const reason = ctl.signal.aborted ? ctl.signal.reason : err;
        if (reason instanceof ChangeLeaseLost) return;
        if (stopping) return releaseChangeLease(s.db, id, s.owner);
        s.logger.error({ err: describeError(err), change: id }, 'change interrupted; another attempt resumes it after its lease expires');
      })
      .finally(() => {
        clearInterval(beat);
        running.delete(id);
      });
    running.set(id, { ctl, done });
  }

  async function poll(): Promise<void> {
    try {
      const free = s.maxRunning - running.size;
      if (free > 0 && !stopping) {
        for (const id of await findDueChanges(s.db, free)) if (!running.has(id) && !stopping) await run(id);
      }
    } catch (err) {
      s.logger.warn({ err: describeError(err) }, 'looking for due changes failed; will retry');
    } finally {
      if (!stopping) timer = setTimeout(() => void poll(), s.pollMs);
    }
  }

  return {
    start() {
      stopping = false;
      void poll();
    },
    async stop() {
      stopping = true;
      clearTimeout(timer);
      for (const r of running.values()) r.ctl.abort(new Error('executor stopping'));
      await Promise.all([...running.values()].map((r) => r.done));
    },
  };
}
