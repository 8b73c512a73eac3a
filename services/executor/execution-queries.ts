import { and, desc, eq, inArray, type SQL, sql } from 'drizzle-orm';
import { PermanentError } from '../core/errors.ts';
import type { Db, ExecutionRow, ExecutionStatus } from '../store/index.ts';
import { executions, playbooks } from '../store/index.ts';
import { appendAudit, executionAudit, getExecutionRow, listSteps } from './execution-repo.ts';
import { noteHumanNeeded, recordResolution } from './incident-resolution.ts';

/** Filters of {@link listExecutions}. */
export interface ExecutionFilter {
  service?: string;
  status?: string;
  outcome?: string;
  /** Most rows returned, newest first (default 50, at most 500). */
  limit?: number;
}

type Jsonable<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };

function iso<T extends Record<string, unknown>>(row: T): Jsonable<T> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])) as Jsonable<T>;
}

/** Executions matching `f`, newest first, as JSON-ready objects. */
export async function listExecutions(db: Db, f: ExecutionFilter) {
  const conds: SQL[] = [];
  if (f.service) conds.push(eq(executions.service, f.service));
  if (f.status) conds.push(eq(executions.status, f.status as ExecutionStatus));
  if (f.outcome) conds.push(eq(executions.outcome, f.outcome));
  const rows = await db
    .select()
    .from(executions)
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(desc(executions.createdAt))
    .limit(Math.min(Math.max(f.limit ?? 50, 1), 500));
  return rows.map(iso);
}

function notFound(id: string): PermanentError {
  return new PermanentError('ZEROOPS_NOT_FOUND', `no execution with id "${id}"`, { statusCode: 404 });
}

/**
 * One execution with its steps and audit trail; 404 when missing.
 * `repeats` counts attempts sent again after an attempt whose result was
 * never recorded; `unknownSteps` counts steps whose outcome stayed unknown.
 */
export async function getExecutionDetail(db: Db, id: string) {
  const row = await getExecutionRow(db, id);
  if (!row) throw notFound(id);
  const [steps, audit, named] = await Promise.all([
    listSteps(db, id),
    executionAudit(db, id),
    db.select({ name: playbooks.name }).from(playbooks).where(eq(playbooks.id, row.playbookId)).limit(1),
  ]);
  const repeats = steps.reduce((n, s) => n + s.repeats, 0);
  const unknownSteps = steps.filter((s) => s.status === 'unknown').length;
  // As in the list: deletes are soft, so the playbook row stays; its id is a fallback that never shows.
  const playbookName = named[0]?.name ?? row.playbookId;
  return { ...iso(row), playbookName, repeats, unknownSteps, steps: steps.map(iso), audit: audit.map(iso) };
}

async function transition(db: Db, id: string, from: ExecutionStatus[], set: Partial<typeof executions.$inferInsert>, what: string): Promise<ExecutionRow> {
  const rows = await db
    .update(executions)
    .set({ ...set, outcomePublished: false, updatedAt: sql`now()` as unknown as Date })
    .where(and(eq(executions.id, id), inArray(executions.status, from)))
    .returning();
  if (rows[0]) return rows[0];
  const row = await getExecutionRow(db, id);
  if (!row) throw notFound(id);
  throw new PermanentError('ZEROOPS_CONFLICT', `cannot ${what} execution ${id}: it is ${row.status} (only ${from.join(' or ')} can be)`, { statusCode: 409 });
}

/** Rejects an execution awaiting approval (outcome skipped). 404 / 409. */
export async function rejectExecution(db: Db, id: string, actor: string, note: string): Promise<ExecutionRow> {
  const reason = `guardrail approval: rejected by ${actor}${note ? ` (${note})` : ''}`;
  const row = await transition(
    db,
    id,
    ['awaiting_approval'],
    { status: 'cancelled', outcome: 'skipped', reason, finishedAt: sql`now()` as unknown as Date },
    'reject',
  );
  await appendAudit(db, actor, 'execution.reject', 'execution', id, { note });
  await noteHumanNeeded(db, row.episodeId);
  await recordResolution(db, row, 'skipped');
  return row;
}

/** Cancels an unfinished execution; a running one stops before its next step (its lease is revoked). 404 / 409. */
export async function cancelExecution(db: Db, id: string, actor: string): Promise<ExecutionRow> {
  const row = await transition(
    db,
    id,
    ['pending', 'running', 'awaiting_approval'],
    {
      status: 'cancelled',
      outcome: 'skipped',
      reason: `cancelled by ${actor}`,
      leaseOwner: null,
      leaseExpiresAt: null,
      finishedAt: sql`now()` as unknown as Date,
    },
    'cancel',
  );
  await appendAudit(db, actor, 'execution.cancel', 'execution', id, {});
  await recordResolution(db, row, 'skipped');
  return row;
}
