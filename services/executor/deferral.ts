/**
 * Deferrable playbooks and steps: the decision (or, for a deferrable step,
 * the execution reaching it) schedules the execution into the quietest
 * stretch of the service's load forecast within the maximum delay; a later,
 * worse anomaly of the episode (or an operator) runs it at once. Managed
 * changes (changes/) choose their window with the same {@link planDeferral}.
 */
import { and, eq, gt, sql } from 'drizzle-orm';
import { PermanentError } from '../core/errors.ts';
import { type ForecastSettings, forecastLoad, quietWindowOf } from '../forecast/index.ts';
import type { DeferrableSpec, Playbook } from '../playbooks/index.ts';
import type { Db, ExecutionRow } from '../store/index.ts';
import { executionSteps, executions } from '../store/index.ts';
import { appendAudit, finishStep, getExecutionRow } from './execution-repo.ts';

/** When a deferrable execution is to start (`at`; none: now) and why. */
export interface DeferralPlan {
  at?: Date;
  reason: string;
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3));

/** The start of `service`'s quietest stretch of `durationSeconds` within `maxDelaySeconds` of `now`, from its load forecast. */
export async function planDeferral(db: Db, service: string, d: DeferrableSpec, settings: ForecastSettings, now = new Date()): Promise<DeferralPlan> {
  const duration = d.durationSeconds ?? 300;
  const fc = await forecastLoad(db, service, d.maxDelaySeconds + duration, settings, now);
  if (!fc.ready) return { reason: `deferrable, but the load forecast is not ready (${fc.basis}): runs now` };
  const q = quietWindowOf(fc, d.maxDelaySeconds, duration);
  const first = fc.points[0];
  if (!q || !first) return { reason: 'deferrable, but the forecast has no quiet window: runs now' };
  const atMs = Math.min(Date.parse(q.startsAt), now.getTime() + d.maxDelaySeconds * 1000);
  const load = `expected ${fmt(q.expected)} req/s there against ${fmt(first.expected)} req/s now`;
  if (atMs <= now.getTime() + fc.stepSeconds * 1000)
    return { reason: `the quietest ${duration} s within ${d.maxDelaySeconds} s starts now (${load}): runs now` };
  const cycles = fc.periods.map((p) => `${p.seconds} s`).join(', ');
  return {
    at: new Date(atMs),
    reason: `deferred to the quietest ${duration} s within ${d.maxDelaySeconds} s of the load forecast (${load}; cycles ${cycles})`,
  };
}

/**
 * Moves a deferred execution (pending, scheduled later) to now: the poller
 * then claims it. 404 when missing, 409 when it is not a waiting deferred one.
 */
export async function runDeferredNow(db: Db, id: string, actor: string, reason: string): Promise<ExecutionRow> {
  const rows = await db
    .update(executions)
    .set({ scheduledFor: sql`now()` as unknown as Date, scheduleReason: reason, updatedAt: sql`now()` as unknown as Date })
    .where(and(eq(executions.id, id), eq(executions.status, 'pending'), gt(executions.scheduledFor, sql`now()`)))
    .returning();
  const row = rows[0];
  if (!row) {
    const found = await getExecutionRow(db, id);
    if (!found) throw new PermanentError('ZEROOPS_NOT_FOUND', `no execution with id "${id}"`, { statusCode: 404 });
    throw new PermanentError('ZEROOPS_CONFLICT', `cannot run execution ${id} now: it is ${found.status} and not waiting for a scheduled time`, {
      statusCode: 409,
    });
  }
  await appendAudit(db, actor, 'execution.run_now', 'execution', id, { reason });
  return row;
}

/** Whether `score` makes a waiting deferred execution run now (the incident worsened), and the reason. */
export function worsened(row: ExecutionRow, d: DeferrableSpec, score: number, now = Date.now()): string | undefined {
  if (row.status !== 'pending' || !row.scheduledFor || row.scheduledFor.getTime() <= now) return undefined;
  const by = d.worsenBy ?? 0.05;
  if (score < row.scoreBefore + by) return undefined;
  return `the incident worsened (score ${score.toFixed(3)} against ${row.scoreBefore.toFixed(3)} at the decision): runs now instead of ${row.scheduledFor.toISOString()}`;
}

/** Step index offset of the marker rows of deferrable steps in execution_steps (the quiet window chosen for step i is at DEFER_INDEX + i). */
export const DEFER_INDEX = 3000;

/** What {@link deferStep} decided: run the step now, or the execution was parked until its quiet window. */
export type StepDeferral = 'run' | 'parked';

/** The execution a deferrable step belongs to, and its lease. */
export interface DeferredStepRef {
  db: Db;
  executionId: string;
  service: string;
  owner: string;
  stepIndex: number;
  stepId: string;
  /** Idempotency key of the marker row (`<episode>:<playbook>@<version>:defer:<step>`). */
  key: string;
}

/**
 * A step marked `deferrable`, reached by the execution holding the lease:
 * the first time, plans the quiet window exactly as a deferrable playbook
 * does ({@link planDeferral}), records it in a marker step row and, when the
 * window is later, parks the execution as `pending` with `scheduledFor` and
 * `scheduleReason` (the lease given back: the poller resumes it then, or
 * run-now / a worse anomaly earlier). When resumed (the marker exists), the
 * step runs. Throws `lost` when the lease was lost.
 */
export async function deferStep(ref: DeferredStepRef, d: DeferrableSpec, settings: ForecastSettings, lost: () => Error): Promise<StepDeferral> {
  const { db, executionId: id } = ref;
  const marker = (await db.select().from(executionSteps).where(eq(executionSteps.idempotencyKey, ref.key)))[0];
  if (marker) {
    if (marker.status !== 'succeeded')
      await finishStep(db, ref.key, 'succeeded', { response: { ...(marker.response as object), ranAt: new Date().toISOString() } });
    return 'run';
  }
  const plan = await planDeferral(db, ref.service, d, settings);
  const row = { executionId: id, stepIndex: DEFER_INDEX + ref.stepIndex, name: `defer:${ref.stepId}`, type: 'wait', idempotencyKey: ref.key };
  const response = { scheduledFor: plan.at?.toISOString() ?? null, reason: plan.reason };
  await db
    .insert(executionSteps)
    .values({ ...row, status: plan.at ? 'pending' : 'succeeded', attempt: 1, response, startedAt: sql`now()` as unknown as Date })
    .onConflictDoNothing();
  const parked = await db
    .update(executions)
    .set({
      scheduleReason: `step ${ref.stepId}: ${plan.reason}`,
      updatedAt: sql`now()` as unknown as Date,
      ...(plan.at ? { status: 'pending' as const, scheduledFor: plan.at, leaseOwner: null, leaseExpiresAt: null } : {}),
    })
    .where(and(eq(executions.id, id), eq(executions.leaseOwner, ref.owner), eq(executions.status, 'running')))
    .returning({ id: executions.id });
  if (parked.length === 0) throw lost();
  await appendAudit(db, 'executor', 'step.defer', 'execution', id, { step: ref.stepId, ...response });
  return plan.at ? 'parked' : 'run';
}

/** The deferral settings that decide whether a worse anomaly runs a waiting execution of `spec` now: the playbook's, else its deferrable steps' (the most sensitive). */
export function deferralOf(spec: Playbook): DeferrableSpec | undefined {
  if (spec.deferrable) return spec.deferrable;
  const steps = spec.steps.flatMap((s) => (s.deferrable ? [s.deferrable] : []));
  return steps.sort((a, b) => (a.worsenBy ?? 0.05) - (b.worsenBy ?? 0.05))[0];
}
