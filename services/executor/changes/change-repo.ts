/**
 * The changes table: requests, the operator's run-now and cancel, and the
 * lease-fenced transitions of the executor that drives a change.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm';
import { PermanentError } from '../../core/errors.ts';
import type { ForecastSettings } from '../../forecast/index.ts';
import { type ChangeRow, type ChangeState, changes, type Db } from '../../store/index.ts';
import { planDeferral } from '../deferral.ts';
import { appendAudit } from '../execution-repo.ts';
import type { ChangeSpec } from './change-spec.ts';

/** States a worker drives (scheduled once due; the others after their lease expired). */
export const ACTIVE_CHANGE_STATES: ChangeState[] = ['scheduled', 'applying', 'watching', 'rolling_back'];

const now = () => sql`now()` as unknown as Date;
const leaseUntil = (ms: number) => sql`now() + ${ms} * interval '1 millisecond'` as unknown as Date;

/**
 * Records a change: with a maximum delay, scheduled at the start of the
 * quietest window of the service's load forecast within it (the same
 * planning as deferrable playbooks); otherwise due at once.
 */
export async function createChange(db: Db, spec: ChangeSpec, actor: string, forecast: ForecastSettings): Promise<ChangeRow> {
  const plan =
    spec.maxDelaySeconds > 0
      ? await planDeferral(db, spec.service, { maxDelaySeconds: spec.maxDelaySeconds, durationSeconds: spec.durationSeconds, worsenBy: 0.05 }, forecast)
      : { reason: 'no maximum delay: applies at once' };
  const id = `ch_${randomUUID()}`;
  const rows = await db
    .insert(changes)
    .values({
      id,
      service: spec.service,
      spec: spec as unknown as Record<string, unknown>,
      state: 'scheduled',
      scheduledFor: plan.at ?? now(),
      scheduleReason: plan.reason,
      createdBy: actor,
    })
    .returning();
  await appendAudit(db, actor, 'change.create', 'change', id, {
    service: spec.service,
    version: spec.version ?? null,
    scheduledFor: plan.at?.toISOString() ?? null,
    reason: plan.reason,
  });
  return rows[0] as ChangeRow;
}

/** One change; 404 when missing. */
export async function getChange(db: Db, id: string): Promise<ChangeRow> {
  const row = (await db.select().from(changes).where(eq(changes.id, id)))[0];
  if (!row) throw new PermanentError('ZEROOPS_NOT_FOUND', `no change with id "${id}"`, { statusCode: 404 });
  return row;
}

async function scheduledOnly(db: Db, id: string, rows: ChangeRow[], what: string): Promise<ChangeRow> {
  const row = rows[0];
  if (row) return row;
  const found = await getChange(db, id);
  throw new PermanentError('ZEROOPS_CONFLICT', `cannot ${what} change ${id}: it is ${found.state}, and only a scheduled change can be`, { statusCode: 409 });
}

/** Moves a scheduled change to now (an executor applies it on its next poll); 404 / 409 otherwise. */
export async function runChangeNow(db: Db, id: string, actor: string): Promise<ChangeRow> {
  const rows = await db
    .update(changes)
    .set({ scheduledFor: now(), scheduleReason: `run now by ${actor}`, updatedAt: now() })
    .where(and(eq(changes.id, id), eq(changes.state, 'scheduled')))
    .returning();
  const row = await scheduledOnly(db, id, rows, 'run now');
  await appendAudit(db, actor, 'change.run_now', 'change', id, {});
  return row;
}

/** Cancels a scheduled change (one being applied or watched cannot be); 404 / 409 otherwise. */
export async function cancelChange(db: Db, id: string, actor: string): Promise<ChangeRow> {
  const rows = await db
    .update(changes)
    .set({ state: 'cancelled', reason: `cancelled by ${actor}`, finishedAt: now(), updatedAt: now() })
    .where(and(eq(changes.id, id), eq(changes.state, 'scheduled')))
    .returning();
  const row = await scheduledOnly(db, id, rows, 'cancel');
  await appendAudit(db, actor, 'change.cancel', 'change', id, {});
  return row;
}

/** Ids of changes a worker should drive now: due scheduled ones, and unfinished ones whose lease expired. */
export async function findDueChanges(db: Db, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: changes.id })
    .from(changes)
    .where(
      and(
        inArray(changes.state, ACTIVE_CHANGE_STATES),
        lte(changes.scheduledFor, now()),
        or(isNull(changes.leaseExpiresAt), lt(changes.leaseExpiresAt, now())),
      ),
    )
    .orderBy(changes.scheduledFor)
    .limit(limit);
  return rows.map((r) => r.id);
}

/**
 * Takes the lease of a due change, in one statement (so two executors never
 * both take it); a scheduled change becomes `applying` with its first apply
 * attempt counted. Returns the row, or undefined when another worker has it.
 */
export async function claimChange(db: Db, id: string, owner: string, leaseMs: number): Promise<ChangeRow | undefined> {
  const rows = await db
    .update(changes)
    .set({
      leaseOwner: owner,
      leaseExpiresAt: leaseUntil(leaseMs),
      updatedAt: now(),
      state: sql`case when ${changes.state} = 'scheduled' then 'applying' else ${changes.state} end` as unknown as ChangeState,
    })
    .where(
      and(
        eq(changes.id, id),
        inArray(changes.state, ACTIVE_CHANGE_STATES),
        lte(changes.scheduledFor, now()),
        or(isNull(changes.leaseExpiresAt), lt(changes.leaseExpiresAt, now())),
      ),
    )
    .returning();
  return rows[0];
}

/** Writes `fields` if `owner` still holds the lease; the row, or undefined when the lease was lost. */
export async function updateLeased(db: Db, id: string, owner: string, fields: Partial<typeof changes.$inferInsert>): Promise<ChangeRow | undefined> {
  const rows = await db
    .update(changes)
    .set({ ...fields, updatedAt: now() })
    .where(and(eq(changes.id, id), eq(changes.leaseOwner, owner), inArray(changes.state, ACTIVE_CHANGE_STATES)))
    .returning();
  return rows[0];
}

/** Counts an attempt of the change (`apply`) or undo step before it is sent; the count before it, or undefined when the lease was lost. */
export async function beginChangeAttempt(db: Db, id: string, owner: string, which: 'apply' | 'undo'): Promise<number | undefined> {
  const col = which === 'apply' ? changes.applyAttempts : changes.undoAttempts;
  const rows = await db
    .update(changes)
    .set(which === 'apply' ? { applyAttempts: sql`${col} + 1` as unknown as number } : { undoAttempts: sql`${col} + 1` as unknown as number })
    .where(and(eq(changes.id, id), eq(changes.leaseOwner, owner), inArray(changes.state, ACTIVE_CHANGE_STATES)))
    .returning({ n: col });
  const n = rows[0]?.n;
  return n === undefined ? undefined : n - 1;
}

/** Extends the lease; false when it was lost. */
export async function renewChangeLease(db: Db, id: string, owner: string, leaseMs: number): Promise<boolean> {
  const rows = await db
    .update(changes)
    .set({ leaseExpiresAt: leaseUntil(leaseMs) })
    .where(and(eq(changes.id, id), eq(changes.leaseOwner, owner), inArray(changes.state, ACTIVE_CHANGE_STATES)))
    .returning({ id: changes.id });
  return rows.length === 1;
}

/** Gives the lease up at once (graceful stop), so another worker resumes without waiting. */
export async function releaseChangeLease(db: Db, id: string, owner: string): Promise<void> {
  await db
    .update(changes)
    .set({ leaseExpiresAt: now() })
    .where(and(eq(changes.id, id), eq(changes.leaseOwner, owner)));
}
