import { and, asc, desc, eq, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { Db } from '../store/index.ts';
import { anomalies, auditLog, type ExecutionRow, type ExecutionStepRow, executionSteps, executions, incidents, type StepStatus } from '../store/index.ts';
import type { EpisodeDeviations, IncidentView } from './steps/types.ts';

/** A transaction handle (same API as {@link Db}). */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** Either a database or a transaction. */
export type DbOrTx = Db | Tx;

/** Statuses of executions that acted (or are about to): they count toward cooldowns, rate limits and budgets. */
export const ACTING_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'timed_out'] as const;
/** Statuses of unfinished executions that a worker must drive. */
export const RUNNABLE_STATUSES = ['pending', 'running'] as const;

/** Appends an audit record. */
export async function appendAudit(
  db: DbOrTx,
  actor: string,
  action: string,
  subjectType: string,
  subjectId: string,
  details: Record<string, unknown>,
): Promise<void> {
  await db.insert(auditLog).values({ actor, action, subjectType, subjectId, details });
}

/** Largest absolute deviation of an anomaly's evidence; undefined without evidence. */
export function largestDeviation(evidence: unknown): number | undefined {
  if (!Array.isArray(evidence)) return undefined;
  let worst: number | undefined;
  for (const e of evidence as Array<{ deviation?: unknown }>) {
    const d = typeof e?.deviation === 'number' && Number.isFinite(e.deviation) ? Math.abs(e.deviation) : undefined;
    if (d !== undefined && (worst === undefined || d > worst)) worst = d;
  }
  return worst;
}

/** Reads the incidents row of an episode. */
export async function readIncident(db: DbOrTx, episodeId: string): Promise<IncidentView | undefined> {
  const rows = await db.select().from(incidents).where(eq(incidents.id, episodeId));
  const r = rows[0];
  if (!r) return undefined;
  const view: IncidentView = { state: r.state, lastScore: r.lastScore, maxScore: r.maxScore, flapping: r.flapping };
  if (r.recoveryStartedAt) view.recoveryStartedAt = r.recoveryStartedAt.getTime();
  return view;
}

/**
 * The deviations of an episode's anomaly events around `cutoffMs`: the
 * largest of those whose window ended by then (`before`), and that of the
 * latest event if its window ended after it (`after`). Deviations are the
 * largest absolute ones of each event's evidence, in baseline spreads.
 */
export async function readDeviations(db: DbOrTx, episodeId: string, cutoffMs: number): Promise<EpisodeDeviations> {
  const rows = await db
    .select({ evidence: anomalies.evidence, windowEnd: anomalies.windowEnd })
    .from(anomalies)
    .where(eq(anomalies.episodeId, episodeId))
    .orderBy(desc(anomalies.windowEnd))
    .limit(500);
  const out: EpisodeDeviations = {};
  const latest = rows[0];
  if (latest && latest.windowEnd.getTime() > cutoffMs) out.after = largestDeviation(latest.evidence);
  for (const r of rows) {
    if (r.windowEnd.getTime() > cutoffMs) continue;
    const d = largestDeviation(r.evidence);
    if (d !== undefined && (out.before === undefined || d > out.before)) out.before = d;
  }
  return out;
}

/**
 * The execution of (episode, playbook), if any: its latest attempt (a
 * follow-up run is a new row with a higher `attempt`; the earlier ones stay).
 */
export async function findExecution(db: DbOrTx, episodeId: string, playbookId: string): Promise<ExecutionRow | undefined> {
  const rows = await db
    .select()
    .from(executions)
    .where(and(eq(executions.episodeId, episodeId), eq(executions.playbookId, playbookId)))
    .orderBy(desc(executions.attempt))
    .limit(1);
  return rows[0];
}

/** Reads one execution. */
export async function getExecutionRow(db: DbOrTx, id: string): Promise<ExecutionRow | undefined> {
  return (await db.select().from(executions).where(eq(executions.id, id)))[0];
}

/**
 * Takes the lease of a runnable execution whose lease is free or expired,
 * marking it running. Returns the row, or undefined when another worker
 * holds it or it is no longer runnable.
 */
export async function claimExecution(db: DbOrTx, id: string, owner: string, leaseMs: number): Promise<ExecutionRow | undefined> {
  const rows = await db
    .update(executions)
    .set({ status: 'running', leaseOwner: owner, leaseExpiresAt: sql`now() + ${leaseMs} * interval '1 millisecond'`, updatedAt: sql`now()` })
    .where(
      and(
        eq(executions.id, id),
        inArray(executions.status, [...RUNNABLE_STATUSES]),
        or(isNull(executions.leaseExpiresAt), lt(executions.leaseExpiresAt, sql`now()`)),
      ),
    )
    .returning();
  return rows[0];
}

/** Extends the lease; false when it was lost (expired and taken, or the execution was cancelled). */
export async function renewLease(db: DbOrTx, id: string, owner: string, leaseMs: number): Promise<boolean> {
  const rows = await db
    .update(executions)
    .set({ leaseExpiresAt: sql`now() + ${leaseMs} * interval '1 millisecond'` })
    .where(and(eq(executions.id, id), eq(executions.leaseOwner, owner), eq(executions.status, 'running')))
    .returning({ id: executions.id });
  return rows.length === 1;
}

/** Gives the lease up at once (graceful stop) so that another worker resumes without waiting for it to expire. */
export async function releaseLease(db: DbOrTx, id: string, owner: string): Promise<void> {
  await db
    .update(executions)
    .set({ leaseExpiresAt: sql`now()` })
    .where(and(eq(executions.id, id), eq(executions.leaseOwner, owner)));
}

/** Ids of runnable executions whose lease is free or expired and whose scheduled time (if any) has come, oldest first. */
export async function findRunnable(db: DbOrTx, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: executions.id })
    .from(executions)
    .where(
      and(
        inArray(executions.status, [...RUNNABLE_STATUSES]),
        or(isNull(executions.leaseExpiresAt), lt(executions.leaseExpiresAt, sql`now()`)),
        // A deferred execution waits for its scheduled time.
        or(isNull(executions.scheduledFor), lte(executions.scheduledFor, sql`now()`)),
      ),
    )
    .orderBy(asc(executions.createdAt))
    .limit(limit);
  return rows.map((r) => r.id);
}

/** The steps recorded for an execution, by index. */
export async function listSteps(db: DbOrTx, executionId: string): Promise<ExecutionStepRow[]> {
  return db.select().from(executionSteps).where(eq(executionSteps.executionId, executionId)).orderBy(asc(executionSteps.stepIndex));
}

/** Identity of one step of one execution. */
export interface StepIdentity {
  executionId: string;
  stepIndex: number;
  name: string;
  type: string;
  idempotencyKey: string;
}

/** A begun attempt: its number and when the step's first attempt started. */
export interface BegunAttempt {
  attempt: number;
  startedAt: Date;
  /**
   * True when the attempt before this one started and its result was never
   * recorded (its worker died or lost the lease mid-attempt): that attempt's
   * side effect may or may not have happened.
   */
  unknownBefore: boolean;
}

/**
 * Records the start of an attempt BEFORE its side effect, in ONE statement:
 * inserts the step (attempt 1) or increments its attempt, fenced by the
 * lease (the execution row is locked and must still be leased by `owner`),
 * and appends the `step.start` audit record. Returns `leaseLost` when the
 * fence failed, and the finished row unchanged when the step already
 * finished (it is never run again).
 */
export async function beginAttempt(
  db: Db,
  step: StepIdentity,
  owner: string,
): Promise<{ leaseLost: true } | { leaseLost: false; finished: true; row: ExecutionStepRow } | { leaseLost: false; finished: false; begun: BegunAttempt }> {
  const { executionId: ex, stepIndex, name, type, idempotencyKey: key } = step;
  const res = (await db.execute(sql`
    with prev as (
      select status from execution_steps where idempotency_key = ${key}::text
    ), fence as (
      select id from executions
      where id = ${ex}::text and lease_owner = ${owner}::text and status = 'running' and lease_expires_at > now()
      for update
    ), ins as (
      insert into execution_steps (execution_id, step_index, name, type, idempotency_key, status, attempt, started_at)
      select ${ex}::text, ${stepIndex}::int, ${name}::text, ${type}::text, ${key}::text, 'running', 1, now() from fence
      on conflict (idempotency_key) do update set attempt = execution_steps.attempt + 1, status = 'running', error = null
      where execution_steps.status in ('pending', 'running')
      returning attempt, started_at
    ), audit as (
      insert into audit_log (actor, action, subject_type, subject_id, details)
      select 'executor', 'step.start', 'execution', ${ex}::text, jsonb_build_object('step', ${name}::text, 'type', ${type}::text, 'attempt', ins.attempt, 'idempotencyKey', ${key}::text) from ins
    )
    select (select count(*) from fence) as fenced, (select status from prev) as prev_status, ins.attempt, ins.started_at
    from (select 1) as one left join ins on true`)) as unknown as {
    rows: { fenced: number | string; prev_status: string | null; attempt: number | null; started_at: Date | string | null }[];
  };
  const r = res.rows[0];
  if (!r || Number(r.fenced) === 0) return { leaseLost: true };
  if (r.attempt !== null && r.started_at !== null)
    return {
      leaseLost: false,
      finished: false,
      begun: { attempt: Number(r.attempt), startedAt: new Date(r.started_at), unknownBefore: r.prev_status === 'running' },
    };
  const row = (await db.select().from(executionSteps).where(eq(executionSteps.idempotencyKey, key)))[0] as ExecutionStepRow;
  return { leaseLost: false, finished: true, row };
}

/**
 * Records the end of a step, or of a failed attempt that will be retried
 * (status `pending`: an attempt whose result is recorded, so a worker that
 * resumes the step knows the next attempt is not a repeat of an unknown one).
 */
export async function finishStep(
  db: DbOrTx,
  key: string,
  status: StepStatus,
  fields: { request?: unknown; response?: unknown; error?: string | null; attempt?: number; repeated?: boolean },
): Promise<void> {
  const done = status !== 'running' && status !== 'pending';
  const { repeated, ...rest } = fields;
  await db
    .update(executionSteps)
    .set({
      status,
      ...rest,
      ...(repeated ? { repeats: sql`${executionSteps.repeats} + 1` as unknown as number } : {}),
      ...(done ? { finishedAt: sql`now()` as unknown as Date } : {}),
    })
    .where(eq(executionSteps.idempotencyKey, key));
}

/** Final state of an execution. */
export interface Finish {
  status: 'succeeded' | 'failed' | 'skipped' | 'timed_out';
  outcome: string;
  reason: string;
  scoreAfter?: number;
}

/** Writes the final state if `owner` still holds the lease; returns the row, or undefined when it lost it. */
export async function finishExecution(db: DbOrTx, id: string, owner: string, f: Finish): Promise<ExecutionRow | undefined> {
  const rows = await db
    .update(executions)
    .set({
      status: f.status,
      outcome: f.outcome,
      outcomePublished: false,
      reason: f.reason,
      scoreAfter: f.scoreAfter ?? null,
      finishedAt: sql`now()`,
      updatedAt: sql`now()`,
      leaseOwner: null,
      leaseExpiresAt: null,
    })
    .where(and(eq(executions.id, id), eq(executions.leaseOwner, owner), eq(executions.status, 'running')))
    .returning();
  return rows[0];
}

/** The anomaly snapshot and guardrail decisions recorded when the execution was (last) decided. */
export async function decisionRecord(db: DbOrTx, executionId: string): Promise<Record<string, unknown> | undefined> {
  const rows = await db
    .select({ details: auditLog.details })
    .from(auditLog)
    .where(and(eq(auditLog.subjectType, 'execution'), eq(auditLog.subjectId, executionId), eq(auditLog.action, 'execution.decide')))
    .orderBy(desc(auditLog.id))
    .limit(1);
  return rows[0]?.details;
}

/** Audit records of an execution, oldest first. */
export async function executionAudit(db: DbOrTx, executionId: string) {
  return db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.subjectType, 'execution'), eq(auditLog.subjectId, executionId)))
    .orderBy(asc(auditLog.id));
}
