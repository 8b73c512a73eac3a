import { describeError } from '../core/errors.ts';
import { findRunnable } from './execution-repo.ts';
import type { ExecutorState } from './executor-state.ts';

/** (Re)arms the poll timer to fire in `ms`; does nothing once the executor is stopping. */
export function schedulePoll(s: ExecutorState, ms: number): void {
  if (s.stopping) return;
  clearTimeout(s.pollTimer);
  s.pollTimer = setTimeout(() => void poll(s), ms);
}

/**
 * Claims unfinished executions with a free or expired lease (pending ones,
 * and those of a dead worker) up to the free slots, then polls again after
 * `pollMs`. Failures are logged and retried on the next poll.
 */
export async function poll(s: ExecutorState): Promise<void> {
  try {
    const free = s.runs.free();
    s.backlog = false;
    if (free > 0) {
      const ids = await findRunnable(s.db, free);
      // A full page means more may wait: look again as soon as a slot frees up.
      if (ids.length === free) s.backlog = true;
      for (const id of ids) await s.runs.claim(id, () => s.stopping);
    }
  } catch (err) {
    s.logger.warn({ err: describeError(err) }, 'looking for unfinished executions failed; will retry');
  } finally {
    schedulePoll(s, s.opts.pollMs);
  }
}
