import { desc, eq, sql } from 'drizzle-orm';
import { type ConditionContext, type DeployView, evaluateCondition, type StepResultView, type StepSpec } from '../playbooks/index.ts';
import { deployments, type ExecutionStepRow } from '../store/index.ts';
import type { DbOrTx, StepIdentity } from './execution-repo.ts';
import type { StepResult } from './step-runner.ts';

/**
 * The executor's side of step conditions (`when:`, the language is in
 * services/playbooks/step-condition.ts): what a condition reads, and the
 * durable record of a step its condition skipped.
 */

/**
 * The service's latest deployment (a change of its `service.version` seen
 * in telemetry, services/detector/deployment-tracker.ts) as `deploy.*`,
 * its age taken at `nowMs`; null when none was seen.
 */
export async function readDeployView(db: DbOrTx, service: string, nowMs: number): Promise<DeployView | null> {
  const [d] = await db.select().from(deployments).where(eq(deployments.service, service)).orderBy(desc(deployments.firstSeen)).limit(1);
  if (!d) return null;
  return { ageSeconds: Math.max(0, (nowMs - d.firstSeen.getTime()) / 1000), version: d.newVersion, previousVersion: d.oldVersion };
}

/** What a step that ran reports to later conditions: whether it succeeded and, for an http step, the status its target answered. */
export function ranView(res: StepResult): StepResultView {
  const response = res.ok ? (res.output.response as { status?: unknown } | undefined) : undefined;
  const status = typeof response?.status === 'number' ? response.status : null;
  return { ran: true, skipped: false, ok: res.ok && (res.output.verdict === undefined || res.output.verdict === 'resolved'), status };
}

/** What a step its condition skipped reports to later conditions. */
export const SKIPPED_VIEW: StepResultView = { ran: false, skipped: true, ok: false, status: null };

/** The outcome of checking a step's condition: run it, or it is (now or since an earlier run of the execution) skipped. */
export type ConditionCheck = { run: true } | { run: false };

/**
 * Checks `step`'s condition. A step recorded as skipped before (by this
 * execution before a restart) stays skipped, and one that already started
 * runs on (the step runner returns its recorded result), so a resumed
 * execution takes the branches it took before even when `deploy` changed
 * since. Otherwise a false condition records the step as `skipped` (its
 * response holds the condition and the values it read) with a
 * `step.skipped` audit record, fenced by the lease like a step's start.
 */
export async function checkCondition(
  db: DbOrTx,
  ident: StepIdentity,
  owner: string,
  step: StepSpec,
  ctx: ConditionContext,
  prior: ReadonlyMap<string, ExecutionStepRow>,
): Promise<ConditionCheck> {
  const before = prior.get(ident.idempotencyKey);
  if (before) return { run: before.status !== 'skipped' };
  if (step.when === undefined) return { run: true };
  const r = evaluateCondition(step.when, ctx);
  if (r.value) return { run: true };
  const response = { when: step.when, read: r.read };
  const error = `skipped: its condition is false (${step.when})`;
  await db.execute(sql`
    with fence as (
      select id from executions where id = ${ident.executionId}::text and lease_owner = ${owner}::text and status = 'running' for update
    ), ins as (
      insert into execution_steps (execution_id, step_index, name, type, idempotency_key, status, attempt, response, error, started_at, finished_at)
      select ${ident.executionId}::text, ${ident.stepIndex}::int, ${ident.name}::text, ${ident.type}::text, ${ident.idempotencyKey}::text,
        'skipped', 0, ${JSON.stringify(response)}::jsonb, ${error}::text, null, now() from fence
      on conflict (idempotency_key) do nothing
      returning 1
    )
    insert into audit_log (actor, action, subject_type, subject_id, details)
    select 'executor', 'step.skipped', 'execution', ${ident.executionId}::text, ${JSON.stringify({ step: ident.name, ...response })}::jsonb from ins`);
  return { run: false };
}
