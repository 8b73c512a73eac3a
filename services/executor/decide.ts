import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { AnomalyEvent, OutcomeEvent } from '../bus/messages.ts';
import type { PlaybookVersionRef } from '../playbooks/index.ts';
import type { ExecutionRow } from '../store/index.ts';
import { executions } from '../store/index.ts';
import { decisionLockKeys, readDecisionSnapshot, takeDecisionLocks } from './decision-facts.ts';
import type { DeferralPlan } from './deferral.ts';
import { appendAudit, type DbOrTx, findExecution } from './execution-repo.ts';
import { attemptOf, type FollowUp, followUpFor, followUpId } from './follow-up.ts';
import { evaluateGuardrails, firstDenial, type GuardrailDecision, type GuardrailFacts } from './guardrails.ts';

/** What a decision did. */
export type Decision =
  | { kind: 'exists'; execution: ExecutionRow }
  | { kind: 'created'; execution: ExecutionRow; decisions: GuardrailDecision[]; outcome?: OutcomeEvent; fresh: boolean };

/** Gathers the guardrails' facts for an anomaly and playbook (DB counts plus the incidents row), in one query. */
export async function gatherFacts(db: DbOrTx, a: AnomalyEvent, playbookId: string, now: number): Promise<GuardrailFacts> {
  return (await readDecisionSnapshot(db, a, playbookId, now)).facts;
}

/** Lease taken at decision time, so that the deciding worker runs the execution without a separate claim. */
export interface DecisionClaim {
  owner: string;
  leaseMs: number;
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

/**
 * Records why a follow-up starts: the audit entry `execution.follow_up`
 * under the earlier execution's id links it to the follow-up: the earlier
 * id (`previous`), the follow-up's `<id>~<n>` (`followUp`), its `attempt`
 * n and the change that called for it (`why`). The earlier execution needs
 * no copy: it keeps its own row, steps and outcome (migration 0008), still
 * served by the API and counted by the guardrails and KPIs.
 */
async function recordFollowUp(tx: DbOrTx, f: FollowUp, actor: string): Promise<void> {
  const id = followUpId(f.previous.id);
  await appendAudit(tx, actor, 'execution.follow_up', 'execution', f.previous.id, {
    previous: f.previous.id,
    followUp: id,
    attempt: attemptOf(id),
    why: f.why,
  });
}

const sameSkip = (row: ExecutionRow, v: Verdict) => row.status === 'skipped' && v.status === 'skipped' && row.reason.split(':')[0] === v.reason.split(':')[0];

/**
 * Decides whether `pb` runs for anomaly `a`, under the advisory locks of its
 * service, playbook and (with a fleet budget) the fleet, so that guardrail
 * counts are exact across replicas while unrelated decisions run in
 * parallel: at most one execution per (episode, playbook, attempt) (also
 * enforced by a unique key), decided against the latest attempt; a skipped
 * decision is revisited by later events of the episode (e.g. once it stops
 * flapping), and an execution that finished without fixing its incident is
 * followed up when the incident changed since (see follow-up.ts): a new row,
 * attempt n, beside the earlier ones. Records the decision (with the
 * anomaly snapshot) in the audit log. With `claim`, an execution that is to
 * run is written already `running` under that lease (its `fresh` flag says
 * it was inserted, so it has no steps yet). With a `deferral` that has a
 * time, an execution that is to run waits unclaimed as `pending` until then.
 * Given a transaction as `db`, it decides in a savepoint of it (the advisory
 * locks are re-entrant, so a caller that took them first, like the forecast
 * evaluator, reads its own facts under the same locks). `forecast`, for a
 * forecast-triggered execution, is the forecast decision stored with it.
 */
export async function decide(
  db: DbOrTx,
  a: AnomalyEvent,
  pb: PlaybookVersionRef,
  actor: string,
  claim?: DecisionClaim,
  deferral?: DeferralPlan,
  forecast?: Record<string, unknown>,
): Promise<Decision> {
  return db.transaction(async (tx) => {
    await takeDecisionLocks(tx, decisionLockKeys(a.service, pb.id, pb.spec.guardrails));
    const { existing, facts } = await readDecisionSnapshot(tx, a, pb.id, Date.now());
    // An execution that ran keeps its incident, unless the incident changed since it gave up (see follow-up.ts).
    const followUp = existing && existing.status !== 'skipped' ? await followUpFor(tx, existing, a) : undefined;
    if (existing && existing.status !== 'skipped' && !followUp) return { kind: 'exists', execution: existing };
    const decisions = evaluateGuardrails(pb.spec.guardrails, facts);
    const v = verdictFor(
      pb.spec.mode,
      decisions,
      pb.spec.steps.map((s) => s.id),
    );
    if (existing && sameSkip(existing, v)) return { kind: 'exists', execution: existing };
    // A follow-up only starts when it will act (or ask): a guardrail that says no now is asked again by later events.
    if (followUp && v.status !== 'pending' && v.status !== 'awaiting_approval') return { kind: 'exists', execution: existing as ExecutionRow };
    // A deferred execution waits as pending (unclaimed) until its scheduled time.
    const deferred = v.status === 'pending' && deferral?.at !== undefined;
    const lease =
      v.status === 'pending' && claim && !deferred
        ? { status: 'running' as const, leaseOwner: claim.owner, leaseExpiresAt: sql`now() + ${claim.leaseMs} * interval '1 millisecond'` as unknown as Date }
        : { status: v.status };
    const fields = {
      anomalyId: a.id,
      playbookVersion: pb.version,
      mode: pb.spec.mode,
      ...lease,
      outcome: v.outcome,
      outcomePublished: false,
      reason: v.reason,
      scoreBefore: a.score,
      scheduledFor: deferred ? (deferral?.at ?? null) : null,
      scheduleReason: deferral && v.status === 'pending' ? deferral.reason : null,
      forecast: forecast ?? null,
      createdAt: sql`now()` as unknown as Date,
      updatedAt: sql`now()` as unknown as Date,
    };
    const rows =
      existing && !followUp
        ? await tx.update(executions).set(fields).where(eq(executions.id, existing.id)).returning()
        : await tx
            .insert(executions)
            .values({
              id: followUp ? followUpId(followUp.previous.id) : `ex_${randomUUID()}`,
              // A follow-up `<id>~<n>` is attempt n, a row beside the earlier ones; a first run is attempt 0.
              attempt: followUp ? attemptOf(followUpId(followUp.previous.id)) : 0,
              episodeId: a.episodeId,
              service: a.service,
              playbookId: pb.id,
              ...fields,
            })
            .onConflictDoNothing()
            .returning();
    const row = rows[0];
    // Only reachable if two events of one episode named different services (other locks): the unique key decided.
    if (!row) return { kind: 'exists', execution: (await findExecution(tx, a.episodeId, pb.id)) as ExecutionRow };
    // Recorded once the follow-up row exists, so that every record names a follow-up that was written.
    if (followUp) await recordFollowUp(tx, followUp, actor);
    await appendAudit(tx, actor, 'execution.decide', 'execution', row.id, {
      anomaly: a,
      playbook: { id: pb.id, name: pb.name, version: pb.version },
      mode: pb.spec.mode,
      status: v.status,
      reason: v.reason,
      guardrails: decisions,
      ...(deferral && v.status === 'pending' ? { schedule: { at: deferral.at?.toISOString() ?? null, reason: deferral.reason } } : {}),
      ...(forecast ? { forecast } : {}),
      ...(followUp ? { followUp: { previous: followUp.previous.id, why: followUp.why } } : {}),
    });
    return {
      kind: 'created',
      execution: row,
      decisions,
      fresh: !existing || followUp !== undefined,
      ...(v.outcome ? { outcome: outcomeOf(row, a.kind) } : {}),
    };
  });
}
