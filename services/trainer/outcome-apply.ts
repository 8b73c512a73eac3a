/**
 * Applies one `outcomes` message to the policy, idempotently: the
 * (execution id, use) row in `policy_outcomes` is inserted in the same
 * transaction as the arm and autonomy updates, so a redelivered or
 * republished outcome (the outbox is at-least-once) changes nothing.
 */
import { and, desc, eq, sql } from 'drizzle-orm';
import { kindOfSignature, outcomeEffect, signatureOf } from '../../models/policy/index.ts';
import type { OutcomeEvent } from '../bus/messages.ts';
import type { Db } from '../store/index.ts';
import { auditLog, policyArms, policyOutcomes } from '../store/index.ts';
import { applyAutonomyOutcome } from './autonomy-store.ts';
import type { DbOrTx } from './policy-repo.ts';

/** What applying an outcome did. */
export type ApplyResult = 'counted' | 'observed' | 'duplicate' | 'ignored';

/** Prefix of the reason of an observe-mode decision the guardrails would have let run (see the executor's verdicts). */
const WOULD_RUN = 'observe mode: would run';

/**
 * The anomaly signature of an execution: from the anomaly snapshot its
 * decision recorded (service, kind, leading evidence feature), else from
 * the outcome's service and kind alone.
 */
export async function signatureOfExecution(db: DbOrTx, o: OutcomeEvent): Promise<string> {
  const [row] = await db
    .select({ details: auditLog.details })
    .from(auditLog)
    .where(and(eq(auditLog.subjectType, 'execution'), eq(auditLog.subjectId, o.executionId), eq(auditLog.action, 'execution.decide')))
    .orderBy(desc(auditLog.id))
    .limit(1);
  const a = (row?.details as { anomaly?: { service?: string; kind?: string; evidence?: { feature: string; deviation: number }[] } } | undefined)?.anomaly;
  return signatureOf(a?.service ?? o.service, a?.kind ?? o.anomalyKind, Array.isArray(a?.evidence) ? a.evidence : []);
}

/**
 * Applies `o`: a `resolved` outcome counts as a success of its (signature,
 * playbook) arm, `not_resolved` / `made_worse` / `undone` / `escalated` as a
 * failure; an observe-mode would-run skip counts toward leaving observe;
 * every other outcome is ignored. Each counted outcome also steps the
 * playbook's autonomy.
 */
export async function applyOutcomeEvent(db: Db, o: OutcomeEvent): Promise<ApplyResult> {
  const effect = outcomeEffect(o.outcome);
  const wouldRun = o.outcome === 'skipped' && o.reason.startsWith(WOULD_RUN);
  if (effect === 'ignored' && !wouldRun) return 'ignored';
  const use = effect === 'ignored' ? 'observed' : 'counted';
  return db.transaction(async (tx) => {
    const signature = await signatureOfExecution(tx, o);
    const fresh = await tx
      .insert(policyOutcomes)
      .values({ executionId: o.executionId, use, outcome: o.outcome, signature, playbookId: o.playbookId })
      .onConflictDoNothing()
      .returning({ id: policyOutcomes.executionId });
    if (fresh.length === 0) return 'duplicate';
    if (use === 'counted') {
      const s = effect === 'success' ? 1 : 0;
      const f = effect === 'failure' ? 1 : 0;
      await tx
        .insert(policyArms)
        .values({ signature, service: o.service, kind: kindOfSignature(signature), playbookId: o.playbookId, successes: s, failures: f })
        .onConflictDoUpdate({
          target: [policyArms.signature, policyArms.playbookId],
          set: { successes: sql`${policyArms.successes} + ${s}`, failures: sql`${policyArms.failures} + ${f}`, updatedAt: sql`now()` },
        });
    }
    await applyAutonomyOutcome(tx, o.playbookId, { outcome: o.outcome, wouldRun }, o.executionId);
    return use;
  });
}
