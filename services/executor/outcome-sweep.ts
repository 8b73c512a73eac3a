import { describeError } from '../core/errors.ts';
import { expireApprovals } from './approvals.ts';
import { decisionRecord } from './execution-repo.ts';
import { type ExecutorState, track } from './executor-state.ts';

/**
 * The periodic sweep: expires approval requests older than the approval TTL
 * (publishing their outcome), then republishes outcomes the bus has not
 * taken yet. Runs again every `outboxSweepMs` until the executor stops.
 */
export async function sweepOutcomes(s: ExecutorState): Promise<void> {
  try {
    for (const row of await expireApprovals(s.db, s.config.approvalTtlSeconds)) {
      s.telemetry.count('zeroops.executor.approvals_expired');
      const kind = (await decisionRecord(s.db, row.id))?.anomaly as { kind?: unknown } | undefined;
      track(s, s.outbox.publish(row, String(kind?.kind ?? '')));
    }
    await s.outbox.sweep();
  } catch (err) {
    s.telemetry.count('zeroops.executor.outcome_sweep_failures');
    s.logger.warn({ err: describeError(err) }, 'republishing outcomes failed; will retry');
  } finally {
    if (!s.stopping) s.sweepTimer = setTimeout(() => void sweepOutcomes(s), s.opts.outboxSweepMs);
  }
}
