import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Telemetry } from '../core/telemetry.ts';
import type { ExecutionRow } from '../store/index.ts';
import { type EngineDeps, type Preloaded, runExecution } from './execution-engine.ts';
import { claimExecution, releaseLease } from './execution-repo.ts';

/** Dependencies of {@link createRunRegistry}. */
export interface RunRegistrySettings {
  engine: EngineDeps;
  logger: Logger;
  telemetry: Telemetry;
  /** Most executions run at once. */
  maxRunning: number;
  /** Called whenever an execution of this process ends (a slot is free). */
  onSlotFreed(): void;
}

/**
 * The executions this process runs, bounded by `maxRunning`. A decision that
 * may start an execution reserves a slot first, so that concurrent
 * decisions never claim more than the bound.
 */
export interface RunRegistry {
  /** Takes a slot for a decision; false when every slot is taken (the execution then waits as `pending`). */
  reserve(): boolean;
  /** Gives back a slot taken by {@link reserve} (after {@link start} or when nothing started). */
  unreserve(): void;
  /** Slots neither running nor reserved. */
  free(): number;
  /** Runs an execution this worker already leased. */
  start(row: ExecutionRow, preloaded?: Preloaded): void;
  /** Takes the lease of a runnable execution (free or expired) and runs it; does nothing when full, running here, or taken. */
  claim(id: string, stopping: () => boolean): Promise<void>;
  /** Aborts every run with `reason`; resolves when they have all ended. */
  abortAll(reason: Error): Promise<void>;
}

interface Running {
  ctl: AbortController;
  done: Promise<void>;
}

/** Creates a {@link RunRegistry}. */
export function createRunRegistry(s: RunRegistrySettings): RunRegistry {
  const running = new Map<string, Running>();
  let reserved = 0;
  const free = () => s.maxRunning - running.size - reserved;

  function start(row: ExecutionRow, preloaded?: Preloaded): void {
    const ctl = new AbortController();
    const done = runExecution(s.engine, row, ctl.signal, preloaded)
      .catch((err: unknown) => {
        s.telemetry.count('zeroops.executor.run_errors');
        s.logger.error({ err: describeError(err), execution: row.id }, 'execution interrupted; another attempt resumes it after its lease expires');
      })
      .finally(() => {
        running.delete(row.id);
        s.onSlotFreed();
      });
    running.set(row.id, { ctl, done });
    s.telemetry.count('zeroops.executor.executions_started');
  }

  return {
    reserve() {
      if (free() <= 0) return false;
      reserved++;
      return true;
    },
    unreserve() {
      reserved--;
    },
    free,
    start,
    async claim(id, stopping) {
      if (stopping() || running.has(id) || free() <= 0) return;
      reserved++;
      try {
        const row = await claimExecution(s.engine.db, id, s.engine.owner, s.engine.leaseMs);
        if (!row) return;
        if (stopping()) await releaseLease(s.engine.db, id, s.engine.owner);
        else start(row);
      } finally {
        reserved--;
      }
    },
    async abortAll(reason) {
      for (const r of running.values()) r.ctl.abort(reason);
      await Promise.all([...running.values()].map((r) => r.done));
    },
  };
}
