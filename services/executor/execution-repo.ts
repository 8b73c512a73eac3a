import { and, asc, desc, eq, gt, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../store/index.ts';
import { auditLog, type ExecutionRow, type ExecutionStepRow, executions, executionSteps, incidents, type StepStatus } from '../store/index.ts';
import type { IncidentView } from './steps/types.ts';

/** A transaction handle (same API as {@link Db}). */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** Either a database or a transaction. */
export type DbOrTx = Db | Tx;

/** Statuses of executions that acted (or are about to): they count toward cooldowns, rate limits and budgets. */
export const ACTING_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'timed_out'] as const;
/** Statuses of unfinished executions that a worker must drive. */
export const RUNNABLE_STATUSES = ['pending', 'running'] as const;

/** Appends an audit record. */
export async function appendAudit(db: DbOrTx, actor: string, action: string, subjectType: string, subjectId: string, details: Record<string, unknown>): Promise<void> {
  await db.insert(auditLog).values({ actor, action, subjectType, subjectId, details });
}

/** Reads the incidents row of an episode. */
export async function readIncident(db: DbOrTx, episodeId: string): Promise<IncidentView | undefined> {
  const rows = await db.select().from(incidents).where(eq(incidents.id, episodeId));
  const r = rows[0];
  return r ? { state: r.state, lastScore: r.lastScore, maxScore: r.maxScore, flapping: r.flapping } : undefined;
}

/** Counts used by the guardrails, from the executions table (DB clock). */
export async function executionCounts(db: DbOrTx, service: string, playbookId: string): Promise<{ lastServiceRunAt: number | null; playbookRunsLastHour: number; fleetRunsLastHour: number; playbookRunning: number }> {
  const acting = inArray(executions.status, [...ACTING_STATUSES]);
  const hourAgo = sql`now() - interval '1 hour'`;
  const [row] = await db
    .select({
      last: sql<Date | string | null>`max(${executions.createdAt}) filter (where ${executions.service} = ${service})`,
      pb: sql<number>`count(*) filter (where ${executions.playbookId} = ${playbookId} and ${executions.createdAt} > ${hourAgo})`,
      fleet: sql<number>`count(*) filter (where ${executions.createdAt} > ${hourAgo})`,
      running: sql<number>`count(*) filter (where ${executions.playbookId} = ${playbookId} and ${executions.status} in ('pending', 'running'))`,
    })
    .from(executions)
    .where(acting);
  const last = row?.last ?? null;
  return {
    lastServiceRunAt: last === null ? null : new Date(last).getTime(),
    playbookRunsLastHour: Number(row?.pb ?? 0),
    fleetRunsLastHour: Number(row?.fleet ?? 0),
    playbookRunning: Number(row?.running ?? 0),
  };
}

/** The execution of (episode, playbook), if any. */
export async function findExecution(db: DbOrTx, episodeId: string, playbookId: string): Promise<ExecutionRow | undefined> {
  const rows = await db.select().from(executions).where(and(eq(executions.episodeId, episodeId), eq(executions.playbookId, playbookId)));
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
    .where(and(eq(executions.id, id), inArray(executions.status, [...RUNNABLE_STATUSES]), or(isNull(executions.leaseExpiresAt), lt(executions.leaseExpiresAt, sql`now()`))))
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
  await db.update(executions).set({ leaseExpiresAt: sql`now()` }).where(and(eq(executions.id, id), eq(executions.leaseOwner, owner)));
}

/** Ids of runnable executions whose lease is free or expired, oldest first. */
export async function findRunnable(db: DbOrTx, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: executions.id })
    .from(executions)
    .where(and(inArray(executions.status, [...RUNNABLE_STATUSES]), or(isNull(executions.leaseExpiresAt), lt(executions.leaseExpiresAt, sql`now()`))))
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

/**
 * Records the start of an attempt BEFORE its side effect: inserts the step
 * (attempt 1) or increments its attempt, fenced by the lease (the execution
 * row is locked and must still be leased by `owner`). Returns the row;
 * `leaseLost` when the fence failed; the finished row unchanged when the
 * step already finished (it is never run again).
 */
export async function beginAttempt(db: Db, step: StepIdentity, owner: string): Promise<{ leaseLost: true } | { leaseLost: false; row: ExecutionStepRow; finished: boolean }> {
  return db.transaction(async (tx) => {
    const fence = await tx
      .select({ id: executions.id })
      .from(executions)
      .where(and(eq(executions.id, step.executionId), eq(executions.leaseOwner, owner), eq(executions.status, 'running'), gt(executions.leaseExpiresAt, sql`now()`)))
      .for('update');
    if (fence.length === 0) return { leaseLost: true as const };
    const existing = (await tx.select().from(executionSteps).where(eq(executionSteps.idempotencyKey, step.idempotencyKey)))[0];
    if (existing && !['pending', 'running'].includes(existing.status)) return { leaseLost: false as const, row: existing, finished: true };
    const rows = await tx
      .insert(executionSteps)
      .values({ ...step, status: 'running', attempt: 1, startedAt: sql`now()` as unknown as Date })
      .onConflictDoUpdate({ target: executionSteps.idempotencyKey, set: { attempt: sql`${executionSteps.attempt} + 1`, status: 'running', error: null } })
      .returning();
    return { leaseLost: false as const, row: rows[0] as ExecutionStepRow, finished: false };
  });
}

/** Records the end of a step (or of a failed attempt that will be retried, with status `running`). */
export async function finishStep(db: DbOrTx, key: string, status: StepStatus, fields: { request?: unknown; response?: unknown; error?: string | null }): Promise<void> {
  const done = status !== 'running' && status !== 'pending';
  await db
    .update(executionSteps)
    .set({ status, ...fields, ...(done ? { finishedAt: sql`now()` as unknown as Date } : {}) })
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
    .set({ status: f.status, outcome: f.outcome, reason: f.reason, scoreAfter: f.scoreAfter ?? null, finishedAt: sql`now()`, updatedAt: sql`now()`, leaseOwner: null, leaseExpiresAt: null })
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
  return db.select().from(auditLog).where(and(eq(auditLog.subjectType, 'execution'), eq(auditLog.subjectId, executionId))).orderBy(asc(auditLog.id));
}
