/**
 * Follow-up executions: when an incident that a playbook already handled
 * without fixing it later shows something new, that playbook runs again.
 *
 * One execution per (episode, playbook, attempt) keeps redelivered
 * anomalies and executor replicas from acting twice, and a playbook that did
 * nothing is not re-run on the same evidence. But an incident can change while it stays
 * open: a service that slowed with its neighbours (and was scaled, restarted,
 * then escalated) later takes a traffic surge of its own, which shows in the
 * same open incident as four times its usual request rate. Its playbook
 * would now act on a different problem; refusing it left the surge unfixed.
 *
 * An execution is followed up when all of these hold:
 * - it finished without fixing the incident (`not_resolved`, `escalated`,
 *   `undone`; never after `made_worse`: a run that hurt is for a human), and
 *   its outcome has been published;
 * - the anomaly came from a window that ended after the execution finished;
 * - the anomaly shows a change against everything the incident showed until
 *   then: a higher severity, or a clear symptom of a family (errors, latency,
 *   error logs, more requests than expected, fewer requests) that none of
 *   the incident's earlier events showed clearly;
 * - fewer than {@link MAX_FOLLOW_UPS} follow-ups of that playbook ran on the
 *   incident, and the guardrails (cooldown, hourly cap, ...) let it run.
 * Each follow-up moves "until then" forward, so the same change never
 * triggers twice: it is bounded by the families and severities there are.
 *
 * A follow-up is a new row (`<first id>~<n>`, attempt n) beside the
 * executions it follows, which keep their rows, steps and outcomes; the
 * latest attempt is "the execution of (episode, playbook)" from then on.
 */
import { and, asc, eq, lte } from 'drizzle-orm';
import { isSymptomFeature, severityRank } from '../../models/fleet/index.ts';
import type { AnomalyEvent } from '../bus/messages.ts';
import { anomalies, type ExecutionRow } from '../store/index.ts';
import type { DbOrTx } from './execution-repo.ts';

/** Deviation (in spreads) from which a symptom counts as clear: the detector's `warning` level (see anomaly-events' kindFeature). */
export const CLEAR_DEVIATION = 5;

/** Follow-ups of one playbook on one incident, at most (a bound beside the guardrails'). */
export const MAX_FOLLOW_UPS = 3;

/** Outcomes after which a changed incident gets a follow-up. */
const UNFIXED_OUTCOMES = new Set(['not_resolved', 'escalated', 'undone']);

/** What an anomaly event shows, as far as a follow-up is concerned. */
export interface Shown {
  severity: string;
  evidence: ReadonlyArray<{ feature: string; deviation: number }>;
}

/**
 * The family of a clear symptom in a piece of evidence, if it is one:
 * `error`, `latency`, `log`, `demand` (more requests than expected) or
 * `traffic` (fewer). Runtime metrics are never a family here: they move
 * with the host's load.
 */
export function clearFamily(e: { feature: string; deviation: number }): string | undefined {
  if (!isSymptomFeature(e.feature) || Math.abs(e.deviation) < CLEAR_DEVIATION) return undefined;
  if (e.feature === 'request_rate') return e.deviation > 0 ? 'demand' : 'traffic';
  if (e.feature === 'error_ratio') return e.deviation > 0 ? 'error' : undefined;
  if (e.feature.startsWith('latency_')) return e.deviation > 0 ? 'latency' : undefined;
  if (e.feature.startsWith('log_')) return e.deviation > 0 ? 'log' : undefined;
  return undefined;
}

/**
 * Pure: why `now` is a change against `before` (what the incident showed
 * until the earlier execution finished), or undefined when it is not.
 */
export function changeOf(before: readonly Shown[], now: Shown): string | undefined {
  const worst = Math.max(-1, ...before.map((b) => severityRank(b.severity)));
  if (severityRank(now.severity) > worst) return `severity rose to ${now.severity}`;
  const seen = new Set(before.flatMap((b) => b.evidence.map(clearFamily)).filter((f) => f !== undefined));
  const fresh = [...new Set(now.evidence.map(clearFamily))].filter((f): f is string => f !== undefined && !seen.has(f));
  return fresh.length > 0 ? `new clear symptom: ${fresh.join(', ')}` : undefined;
}

/** The id of an execution's follow-up: `<first execution id>~<n>` (n = 2 for the first follow-up). */
export function followUpId(previousId: string): string {
  const m = /^(.*)~(\d+)$/.exec(previousId);
  return m ? `${m[1]}~${Number(m[2]) + 1}` : `${previousId}~2`;
}

/**
 * Which run of its playbook on its incident an execution is, by its id: 1 for
 * the first, n for `<id>~<n>`. The id rather than the `attempt` column names
 * the run in step keys and the follow-up bound, because follow-ups written
 * before migration 0008 kept their `~<n>` ids but got attempt 0.
 */
export function attemptOf(executionId: string): number {
  const m = /~(\d+)$/.exec(executionId);
  return m ? Number(m[1]) : 1;
}

/** A follow-up to start: the execution it follows (the latest attempt) and why. */
export interface FollowUp {
  previous: ExecutionRow;
  why: string;
}

/**
 * Whether anomaly `a` calls for a follow-up of `existing` (the latest
 * attempt of the execution of its episode and playbook), reading what the
 * episode's events showed until `existing` finished.
 */
export async function followUpFor(db: DbOrTx, existing: ExecutionRow, a: AnomalyEvent): Promise<FollowUp | undefined> {
  if (!existing.finishedAt || !existing.outcome || !UNFIXED_OUTCOMES.has(existing.outcome) || !existing.outcomePublished) return undefined;
  if (a.episodeState === 'closed' || a.windowEndUnixMs <= existing.finishedAt.getTime()) return undefined;
  if (attemptOf(existing.id) > MAX_FOLLOW_UPS) return undefined;
  const before = await db
    .select({ severity: anomalies.severity, evidence: anomalies.evidence })
    .from(anomalies)
    .where(and(eq(anomalies.episodeId, a.episodeId), lte(anomalies.windowEnd, existing.finishedAt)))
    .orderBy(asc(anomalies.windowEnd))
    .limit(2000);
  // Nothing to compare with (its events deleted by retention): no follow-up.
  if (before.length === 0) return undefined;
  const why = changeOf(before, a);
  return why ? { previous: existing, why } : undefined;
}
