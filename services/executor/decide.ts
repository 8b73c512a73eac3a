import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { AnomalyEvent, OutcomeEvent } from '../bus/messages.ts';
import type { Db, ExecutionRow } from '../store/index.ts';
import { executions } from '../store/index.ts';
import { appendAudit, type DbOrTx, executionCounts, findExecution, readIncident } from './execution-repo.ts';
import { evaluateGuardrails, firstDenial, type GuardrailDecision, type GuardrailFacts } from './guardrails.ts';
import type { PlaybookVersionRef } from './matching.ts';

/** Key of the transaction-level advisory lock that serializes decisions, so that guardrail counts are exact across replicas. */
export const DECIDE_LOCK_KEY = 7_305_117_101;

/** What a decision did. */
export type Decision =
  | { kind: 'exists'; execution: ExecutionRow }
  | { kind: 'created'; execution: ExecutionRow; decisions: GuardrailDecision[]; outcome?: OutcomeEvent };

/** Gathers the guardrails' facts for an anomaly and playbook (DB counts plus the incidents row). */
export async function gatherFacts(db: DbOrTx, a: AnomalyEvent, playbookId: string, now: number): Promise<GuardrailFacts> {
  const [incident, counts] = await Promise.all([readIncident(db, a.episodeId), executionCounts(db, a.service, playbookId)]);
  const episodeOpen = incident ? incident.state === 'open' : a.episodeState !== 'closed';
  return { now, episodeOpen, flapping: a.flapping || (incident?.flapping ?? false), ...counts };
}

interface Verdict {
  status: ExecutionRow['status'];
  outcome: OutcomeEvent['outcome'] | null;
  reason: string;
}

/** Pure: what an execution becomes given the mode and the guardrails. */
export function verdictFor(mode: PlaybookVersionRef['spec']['mode'], decisions: GuardrailDecision[], stepIds: string[]): Verdict {
  const denial = firstDenial(decisions);
  if (mode === 'observe') {
    const would = denial ? `guardrail ${denial.guardrail} would skip it` : `would run ${stepIds.join(', ')}`;
    return { status: 'skipped', outcome: 'skipped', reason: `observe mode: ${would}` };
  }
  if (denial) return { status: 'skipped', outcome: 'skipped', reason: `guardrail ${denial.guardrail}: ${denial.detail}` };
  if (mode === 'suggest') return { status: 'awaiting_approval', outcome: 'awaiting_approval', reason: 'waiting for approval' };
  return { status: 'pending', outcome: null, reason: '' };
}

function outcomeOf(row: ExecutionRow, kind: string): OutcomeEvent {
  return {
    executionId: row.id,
    episodeId: row.episodeId,
    service: row.service,
    playbookId: row.playbookId,
    playbookVersion: row.playbookVersion,
    outcome: row.outcome as OutcomeEvent['outcome'],
    reason: row.reason,
    scoreBefore: row.scoreBefore,
    scoreAfter: row.scoreAfter ?? row.scoreBefore,
    decidedUnixMs: Date.now(),
    anomalyKind: kind,
  };
}

/** Turns an execution row into the Outcome event published for it. */
export { outcomeOf as outcomeEventOf };

const sameSkip = (row: ExecutionRow, v: Verdict) => row.status === 'skipped' && v.status === 'skipped' && row.reason.split(':')[0] === v.reason.split(':')[0];

/**
 * Decides, under a global advisory lock, whether `pb` runs for anomaly `a`:
 * at most one execution per (episode, playbook); a skipped decision is
 * revisited by later events of the episode (e.g. once it stops flapping).
 * Records the decision (with the anomaly snapshot) in the audit log.
 */
export async function decide(db: Db, a: AnomalyEvent, pb: PlaybookVersionRef, actor: string): Promise<Decision> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${DECIDE_LOCK_KEY})`);
    const existing = await findExecution(tx, a.episodeId, pb.id);
    if (existing && existing.status !== 'skipped') return { kind: 'exists', execution: existing };
    const decisions = evaluateGuardrails(pb.spec.guardrails, await gatherFacts(tx, a, pb.id, Date.now()));
    const v = verdictFor(pb.spec.mode, decisions, pb.spec.steps.map((s) => s.id));
    if (existing && sameSkip(existing, v)) return { kind: 'exists', execution: existing };
    const fields = {
      anomalyId: a.id,
      playbookVersion: pb.version,
      mode: pb.spec.mode,
      status: v.status,
      outcome: v.outcome,
      reason: v.reason,
      scoreBefore: a.score,
      createdAt: sql`now()` as unknown as Date,
      updatedAt: sql`now()` as unknown as Date,
    };
    const rows = existing
      ? await tx.update(executions).set(fields).where(eq(executions.id, existing.id)).returning()
      : await tx.insert(executions).values({ id: `ex_${randomUUID()}`, episodeId: a.episodeId, service: a.service, playbookId: pb.id, ...fields }).returning();
    const row = rows[0] as ExecutionRow;
    await appendAudit(tx, actor, 'execution.decide', 'execution', row.id, { anomaly: a, playbook: { id: pb.id, name: pb.name, version: pb.version }, mode: pb.spec.mode, status: v.status, reason: v.reason, guardrails: decisions });
    return { kind: 'created', execution: row, decisions, ...(v.outcome ? { outcome: outcomeOf(row, a.kind) } : {}) };
  });
}
