/**
 * Whether an execution may take the credit for its episode's recovery. The
 * detector records when the recovery began (the start of the first window of
 * the run of windows back within expectation that closed the episode,
 * `incidents.recovery_started_at`); an action can only have caused a
 * recovery that began after it was first sent. A recovery that began before
 * the execution's first mutating step started (an operator fixed it by hand,
 * the fault ended by itself, or the playbook acts on nothing at all) is not
 * the playbook's doing: the outcome is `recovered_before_action`, which the
 * policy counts neither for nor against the playbook, and who resolved the
 * incident stays `self`.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { MUTATING_STEP_TYPES } from '../playbooks/index.ts';
import { executionSteps } from '../store/index.ts';
import type { DbOrTx, Finish } from './execution-repo.ts';

/** The outcome of an execution whose episode began to recover before it acted. */
export const RECOVERED_BEFORE_ACTION = 'recovered_before_action';

/**
 * Pure: the final state of an execution given when its episode's recovery
 * began (`recoveryStartMs`: the end of the first window back within expectation, Unix ms; undefined when the detector did not say)
 * and when its first mutating step first started (`actedAtMs`; undefined when
 * none ran). Only a `resolved` outcome changes: to
 * {@link RECOVERED_BEFORE_ACTION} when the recovery began before the action
 * (or there was no action). Without a known recovery start it stays as it is.
 */
export function creditRecovery(f: Finish, recoveryStartMs: number | undefined, actedAtMs: number | undefined): Finish {
  if (f.outcome !== 'resolved' || recoveryStartMs === undefined) return f;
  if (actedAtMs !== undefined && recoveryStartMs >= actedAtMs) return f;
  const began = new Date(recoveryStartMs).toISOString();
  const why =
    actedAtMs === undefined
      ? `the episode closed, but no step of the playbook acted on the service (its recovery began at ${began})`
      : `the episode closed, but its recovery began at ${began}, ${((actedAtMs - recoveryStartMs) / 1000).toFixed(1)} s before the first action was sent`;
  return { ...f, status: 'succeeded', outcome: RECOVERED_BEFORE_ACTION, reason: `${why}; not credited to the playbook` };
}

/** When the first of an execution's mutating steps (`stepIndexes`: the indexes of the steps it ran) first started, Unix ms; undefined when none did. */
export async function firstActionAt(db: DbOrTx, executionId: string, stepIndexes: number[]): Promise<number | undefined> {
  if (stepIndexes.length === 0) return undefined;
  const rows = await db
    .select({ type: executionSteps.type, startedAt: executionSteps.startedAt })
    .from(executionSteps)
    .where(and(eq(executionSteps.executionId, executionId), inArray(executionSteps.stepIndex, stepIndexes)));
  const times = rows.filter((r) => MUTATING_STEP_TYPES.includes(r.type as never) && r.startedAt).map((r) => (r.startedAt as Date).getTime());
  return times.length > 0 ? Math.min(...times) : undefined;
}
