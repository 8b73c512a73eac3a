import { and, eq, lt, sql } from 'drizzle-orm';
import type { AnomalyEvent } from '../bus/messages.ts';
import { PermanentError } from '../core/errors.ts';
import { getVersion } from '../playbooks/index.ts';
import type { Db, ExecutionRow } from '../store/index.ts';
import { executions } from '../store/index.ts';
import { decisionLockKeys, readDecisionSnapshot, takeDecisionLocks } from './decision-facts.ts';
import { appendAudit, type DbOrTx, decisionRecord, getExecutionRow } from './execution-repo.ts';
import { evaluateGuardrails, firstDenial, type GuardrailDecision } from './guardrails.ts';
import { noteHumanNeeded } from './incident-resolution.ts';

/** Reason prefix of an approval request that expired: `skipped` naming the guardrail that said no, as other skips do. */
export const APPROVAL_EXPIRED = 'guardrail approval_expired';

/** What an approval did: the execution runs, or it ended because the request had expired or a guardrail now says no. */
export type ApprovalResult =
  | { kind: 'approved'; row: ExecutionRow }
  | { kind: 'expired'; row: ExecutionRow }
  | { kind: 'denied'; row: ExecutionRow; denial: GuardrailDecision };

const expiredSet = (ttlSeconds: number) => ({
  status: 'cancelled' as const,
  outcome: 'skipped',
  reason: `${APPROVAL_EXPIRED}: no approval within ${ttlSeconds} s`,
  outcomePublished: false,
  leaseOwner: null,
  leaseExpiresAt: null,
  finishedAt: sql`now()` as unknown as Date,
  updatedAt: sql`now()` as unknown as Date,
});

const olderThan = (ttlSeconds: number) => lt(executions.createdAt, sql`now() - ${ttlSeconds} * interval '1 second'`);

function conflict(row: ExecutionRow): PermanentError {
  if (row.reason.startsWith(APPROVAL_EXPIRED)) {
    return new PermanentError('ZEROOPS_APPROVAL_EXPIRED', `execution ${row.id} can no longer be approved: ${row.reason}`, { statusCode: 409 });
  }
  return new PermanentError('ZEROOPS_CONFLICT', `cannot approve execution ${row.id}: it is ${row.status} (only awaiting_approval can be)`, {
    statusCode: 409,
  });
}

/** The anomaly recorded with the decision, with what the guardrails read from it. */
async function decidedAnomaly(tx: DbOrTx, row: ExecutionRow): Promise<AnomalyEvent> {
  const a = ((await decisionRecord(tx, row.id))?.anomaly ?? {}) as Partial<AnomalyEvent>;
  return { ...a, service: row.service, episodeId: row.episodeId, episodeState: a.episodeState ?? 'open', flapping: a.flapping ?? false } as AnomalyEvent;
}

/**
 * Approves an execution awaiting approval, as `actor` (recorded in the
 * audit log). Under the same locks as decisions: a request older than
 * `ttlSeconds` expires instead (`expired`); otherwise every guardrail is
 * evaluated again with today's facts, and the execution either becomes
 * pending (an executor runs it) or is skipped naming the guardrail
 * (`denied`). 404 when there is no such execution; 409 when it is not
 * awaiting approval (`ZEROOPS_APPROVAL_EXPIRED` if it expired).
 */
export async function approveExecution(db: Db, id: string, actor: string, ttlSeconds: number): Promise<ApprovalResult> {
  const found = await getExecutionRow(db, id);
  if (!found) throw new PermanentError('ZEROOPS_NOT_FOUND', `no execution with id "${id}"`, { statusCode: 404 });
  if (found.status !== 'awaiting_approval') throw conflict(found);
  const spec = await getVersion(db, found.playbookId, found.playbookVersion);
  return db.transaction(async (tx) => {
    await takeDecisionLocks(tx, decisionLockKeys(found.service, found.playbookId, spec.guardrails));
    const [row] = await tx.select().from(executions).where(eq(executions.id, id)).for('update');
    if (row?.status !== 'awaiting_approval') throw conflict(row ?? found);
    const [expired] = await tx
      .update(executions)
      .set(expiredSet(ttlSeconds))
      .where(and(eq(executions.id, id), olderThan(ttlSeconds)))
      .returning();
    if (expired) {
      await appendAudit(tx, actor, 'execution.expire', 'execution', id, { ttlSeconds, lateApproval: true });
      return { kind: 'expired', row: expired };
    }
    const { facts } = await readDecisionSnapshot(tx, await decidedAnomaly(tx, row), row.playbookId, Date.now());
    const decisions = evaluateGuardrails(spec.guardrails, facts);
    const denial = firstDenial(decisions);
    const set = denial
      ? { status: 'skipped' as const, outcome: 'skipped', reason: `guardrail ${denial.guardrail}: ${denial.detail} (re-checked on approval by ${actor})` }
      : { status: 'pending' as const, outcome: null, reason: `approved by ${actor}`, leaseOwner: null, leaseExpiresAt: null };
    const [updated] = await tx
      .update(executions)
      .set({ ...set, outcomePublished: false, updatedAt: sql`now()` as unknown as Date })
      .where(eq(executions.id, id))
      .returning();
    await appendAudit(tx, actor, 'execution.approve', 'execution', id, { allowed: !denial, guardrails: decisions });
    // A person decided: the incident needed a human whatever the execution does next.
    await noteHumanNeeded(tx, row.episodeId);
    const out = updated as ExecutionRow;
    return denial ? { kind: 'denied', row: out, denial } : { kind: 'approved', row: out };
  });
}

/** The 409 an approval that did not start the execution answers with (undefined when it did). */
export function approvalRefusal(r: ApprovalResult): PermanentError | undefined {
  if (r.kind === 'expired') {
    return new PermanentError('ZEROOPS_APPROVAL_EXPIRED', `execution ${r.row.id} can no longer be approved: ${r.row.reason}`, { statusCode: 409 });
  }
  if (r.kind === 'denied') {
    return new PermanentError('ZEROOPS_APPROVAL_GUARDRAIL', `execution ${r.row.id} was not started: ${r.row.reason}`, {
      statusCode: 409,
      details: [{ guardrail: r.denial.guardrail, detail: r.denial.detail }],
    });
  }
  return undefined;
}

/**
 * Ends every approval request older than `ttlSeconds` (outcome skipped,
 * reason {@link APPROVAL_EXPIRED}) and audits each (`execution.expire`, by
 * `executor`). Returns the expired rows, whose outcomes are unpublished.
 */
export async function expireApprovals(db: Db, ttlSeconds: number, limit = 200): Promise<ExecutionRow[]> {
  const out: ExecutionRow[] = [];
  for (const id of await dueApprovals(db, ttlSeconds, limit)) {
    const row = await db.transaction(async (tx) => {
      const [r] = await tx
        .update(executions)
        .set(expiredSet(ttlSeconds))
        .where(and(eq(executions.id, id), eq(executions.status, 'awaiting_approval'), olderThan(ttlSeconds)))
        .returning();
      if (r) await appendAudit(tx, 'executor', 'execution.expire', 'execution', id, { ttlSeconds });
      return r;
    });
    if (row) out.push(row);
  }
  return out;
}

async function dueApprovals(db: Db, ttlSeconds: number, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: executions.id })
    .from(executions)
    .where(and(eq(executions.status, 'awaiting_approval'), olderThan(ttlSeconds)))
    .limit(limit);
  return rows.map((r) => r.id);
}
