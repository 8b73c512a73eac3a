import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { ForecastSettings } from '../forecast/index.ts';
import { type ActionSpec, type DeployView, getVersion, MUTATING_STEP_TYPES, type Playbook, type Redactor, type StepResultView } from '../playbooks/index.ts';
import type { Db, ExecutionRow, ExecutionStepRow } from '../store/index.ts';
import { deferStep } from './deferral.ts';
import { appendAudit, decisionRecord, type Finish, finishExecution, listSteps, readIncident, releaseLease, renewLease } from './execution-repo.ts';
import { attemptOf } from './follow-up.ts';
import { recordResolution } from './incident-resolution.ts';
import { creditRecovery, firstActionAt } from './recovery-credit.ts';
import { checkCondition, ranView, readDeployView, SKIPPED_VIEW } from './step-conditions.ts';
import { LeaseLostError, type RunContext, runStep } from './step-runner.ts';
import type { StepActivities, VerifyVerdict } from './steps/index.ts';

/** Dependencies of the engine. */
export interface EngineDeps {
  db: Db;
  activities: StepActivities;
  redact: Redactor;
  logger: Logger;
  secrets: Record<string, string>;
  /** This worker's lease owner id. */
  owner: string;
  /** Lease length, in milliseconds; renewed every third of it. */
  leaseMs: number;
  /** Publishes the outcome of a finished execution (the outbox: never rejects). */
  publishOutcome(row: ExecutionRow, kind: string): Promise<void>;
  /** Load-forecast settings, for the quiet window of deferrable steps. */
  forecast: ForecastSettings;
}

/** What the deciding worker already knows about an execution it just inserted (saves reading it back). */
export interface Preloaded {
  spec: Playbook;
  /** The anomaly snapshot recorded with the decision. */
  anomaly: Record<string, unknown>;
  steps: ExecutionStepRow[];
}

class DeadlineError extends Error {}

/** Step index offsets of undo and onFailure actions in execution_steps. */
export const UNDO_INDEX = 1000;
export const ON_FAILURE_INDEX = 2000;

function actionBudgetMs(a: ActionSpec & { deferrable?: { maxDelaySeconds: number } }): number {
  // A deferrable step may wait up to its maximum delay before it starts.
  const held = (a.deferrable?.maxDelaySeconds ?? 0) * 1000;
  return held + ownBudgetMs(a);
}

function ownBudgetMs(a: ActionSpec): number {
  if (a.type === 'wait') return (a.wait?.seconds ?? 0) * 1000;
  if (a.type === 'verify') return (a.verify?.deadlineSeconds ?? 0) * 1000;
  const attempts = a.retry?.maxAttempts ?? 1;
  return (a.timeoutSeconds ?? 30) * 1000 * attempts + (a.retry?.maxDelayMs ?? 0) * (attempts - 1);
}

/** Deadline of a whole execution from its first step, in ms: `timeoutSeconds`, or the sum of every step's worst case plus a minute. */
export function executionBudgetMs(spec: Playbook): number {
  if (spec.timeoutSeconds !== undefined) return spec.timeoutSeconds * 1000;
  const all = [...spec.steps, ...spec.steps.flatMap((s) => (s.undo ? [s.undo] : [])), ...(spec.onFailure ?? [])];
  return all.reduce((sum, a) => sum + actionBudgetMs(a), 60_000);
}

/** Idempotency key of a step: (episode, playbook version, step), and the run's number for a follow-up (its steps are new requests). */
const keyOf = (row: ExecutionRow, suffix: string) => {
  const n = attemptOf(row.id);
  return `${row.episodeId}:${row.playbookId}@${row.playbookVersion}:${suffix}${n > 1 ? `~${n}` : ''}`;
};

interface MainResult {
  done: { index: number; id: string; undo?: ActionSpec; type: string }[];
  failure?: string;
  verdict?: VerifyVerdict;
  scoreAfter?: number;
  closedEarly?: string;
  /** The execution was parked at this deferrable step until its quiet window (it is pending again, lease given back). */
  parkedAt?: string;
}

/** Read interval of a wait that `endWaitsWhenClosed` ends early, in seconds: one indexed row read a second per waiting execution. */
export const CLOSED_WAIT_POLL_SECONDS = 1;

/** A main step as it runs under the playbook's guardrails: with `endWaitsWhenClosed`, a wait ends once the episode is closed. */
export function withGuardrails<T extends ActionSpec>(step: T, spec: Pick<Playbook, 'guardrails'>): T {
  if (step.type !== 'wait' || !step.wait || !spec.guardrails.endWaitsWhenClosed) return step;
  return { ...step, wait: { untilEpisodeCloses: true, pollSeconds: CLOSED_WAIT_POLL_SECONDS, ...step.wait } };
}

/** What the main steps' conditions read besides the steps' own results, and the step rows recorded before this run of the engine. */
interface ConditionInputs {
  anomaly: Record<string, unknown>;
  deploy: DeployView | null;
  prior: ReadonlyMap<string, ExecutionStepRow>;
}

async function runMain(ctx: RunContext, row: ExecutionRow, spec: Playbook, forecast: ForecastSettings, cond: ConditionInputs): Promise<MainResult> {
  const r: MainResult = { done: [] };
  const results: Record<string, StepResultView> = {};
  for (const [i, step] of spec.steps.entries()) {
    const ident = { executionId: row.id, stepIndex: i, name: step.id, type: step.type, idempotencyKey: keyOf(row, step.id) };
    // A step whose condition is false is skipped before anything else: no deferral, no re-check, no wait.
    const check = await checkCondition(ctx.db, ident, ctx.owner, step, { anomaly: cond.anomaly, steps: results, deploy: cond.deploy }, cond.prior);
    if (!check.run) {
      results[step.id] = SKIPPED_VIEW;
      continue;
    }
    if (step.deferrable) {
      const ref = {
        db: ctx.db,
        executionId: row.id,
        service: row.service,
        owner: ctx.owner,
        stepIndex: i,
        stepId: step.id,
        key: keyOf(row, `defer:${step.id}`),
      };
      if ((await deferStep(ref, step.deferrable, forecast, () => new LeaseLostError(row.id))) === 'parked') {
        r.parkedAt = step.id;
        return r;
      }
    }
    if (MUTATING_STEP_TYPES.includes(step.type) && spec.guardrails.recheckEpisodeOpen) {
      const inc = await readIncident(ctx.db, row.episodeId);
      if (inc?.state === 'closed') {
        await appendAudit(ctx.db, 'executor', 'guardrail.recheck', 'execution', row.id, { step: step.id, guardrail: 'episode_closed', allow: false });
        r.closedEarly = step.id;
        return r;
      }
    }
    const res = await runStep(ctx, ident, withGuardrails(step, spec));
    results[step.id] = ranView(res);
    if (!res.ok) {
      r.failure = `step ${step.id} failed: ${res.error}`;
      return r;
    }
    r.done.push({ index: i, id: step.id, undo: step.undo, type: step.type });
    if (step.type === 'verify') {
      r.verdict = res.output.verdict;
      r.scoreAfter = res.output.scoreAfter;
      if (r.verdict !== 'resolved') return r;
    }
  }
  return r;
}

async function compensate(ctx: RunContext, row: ExecutionRow, spec: Playbook, done: MainResult['done']): Promise<{ undone: number; escalated: number }> {
  let undone = 0;
  let escalated = 0;
  for (const d of [...done].reverse()) {
    if (!d.undo) continue;
    const res = await runStep(
      ctx,
      { executionId: row.id, stepIndex: UNDO_INDEX + d.index, name: `undo:${d.id}`, type: d.undo.type, idempotencyKey: keyOf(row, `undo:${d.id}`) },
      d.undo,
    );
    if (res.ok) undone++;
  }
  for (const [i, a] of (spec.onFailure ?? []).entries()) {
    const res = await runStep(
      ctx,
      {
        executionId: row.id,
        stepIndex: ON_FAILURE_INDEX + i,
        name: `onFailure:${a.id ?? i}`,
        type: a.type,
        idempotencyKey: keyOf(row, `onFailure:${a.id ?? i}`),
      },
      a,
    );
    if (res.ok) escalated++;
  }
  return { undone, escalated };
}

/** Pure: the final state of an execution from what its steps did. */
export function finalState(r: MainResult, comp: { undone: number; escalated: number } | undefined, episodeClosedAtEnd: boolean): Finish {
  if (r.closedEarly !== undefined) {
    const acted = r.done.some((d) => MUTATING_STEP_TYPES.includes(d.type as never));
    return acted
      ? { status: 'succeeded', outcome: 'resolved', reason: `episode closed before step ${r.closedEarly}; remaining steps not run` }
      : { status: 'skipped', outcome: 'skipped', reason: `guardrail episode_closed: episode closed before step ${r.closedEarly}` };
  }
  if (!r.failure && r.verdict === 'resolved') return { status: 'succeeded', outcome: 'resolved', reason: 'episode closed within the verify deadline' };
  if (!r.failure && r.verdict === undefined) {
    return episodeClosedAtEnd
      ? { status: 'succeeded', outcome: 'resolved', reason: 'all steps succeeded; episode closed' }
      : { status: 'succeeded', outcome: 'not_resolved', reason: 'all steps succeeded; no verify step and the episode is still open' };
  }
  const why = r.failure ?? (r.verdict === 'made_worse' ? 'score rose by the verify deadline' : 'episode still open at the verify deadline');
  const extra = `${comp?.undone ? `; ${comp.undone} step(s) undone` : ''}${comp?.escalated ? `; escalated (${comp.escalated} onFailure action(s))` : ''}`;
  const outcome = r.verdict === 'made_worse' ? 'made_worse' : comp?.escalated ? 'escalated' : comp?.undone ? 'undone' : 'not_resolved';
  return { status: 'failed', outcome, reason: `${why}${extra}` };
}

async function drive(ctx: RunContext, row: ExecutionRow, spec: Playbook, forecast: ForecastSettings, cond: ConditionInputs): Promise<Finish | undefined> {
  const r = await runMain(ctx, row, spec, forecast, cond);
  if (r.parkedAt !== undefined) return undefined;
  const needsCompensation = r.closedEarly === undefined && (r.failure !== undefined || (r.verdict !== undefined && r.verdict !== 'resolved'));
  const comp = needsCompensation ? await compensate(ctx, row, spec, r.done) : undefined;
  // A forecast-triggered execution has no episode to watch: its steps succeeding is the outcome.
  if (row.forecast && !r.failure && r.verdict === undefined) {
    return { status: 'succeeded', outcome: 'resolved', reason: `all steps succeeded: ${String(row.forecast.reason ?? 'scaled by the load forecast')}` };
  }
  const inc = await readIncident(ctx.db, row.episodeId);
  let f = finalState(r, comp, inc?.state === 'closed');
  // A recovery is credited only when it began after the first action (recovery-credit.ts).
  if (f.outcome === 'resolved') {
    const actedAt = await firstActionAt(
      ctx.db,
      row.id,
      r.done.map((d) => d.index),
    );
    f = creditRecovery(f, inc?.recoveryStartedAt, actedAt);
  }
  return { ...f, scoreAfter: r.scoreAfter ?? inc?.lastScore };
}

function startHeartbeat(deps: EngineDeps, row: ExecutionRow, ctl: AbortController): NodeJS.Timeout {
  const t = setInterval(
    () => {
      renewLease(deps.db, row.id, deps.owner, deps.leaseMs)
        .then((ok) => {
          if (!ok) ctl.abort(new LeaseLostError(row.id));
        })
        .catch((err: unknown) => deps.logger.warn({ err: describeError(err), execution: row.id }, 'lease renewal failed; retrying'));
    },
    Math.max(50, Math.floor(deps.leaseMs / 3)),
  );
  t.unref();
  return t;
}

async function complete(deps: EngineDeps, row: ExecutionRow, f: Finish, kind: string): Promise<void> {
  // One transaction: whoever sees the execution finished also sees its audit record and who resolved the incident.
  const done = await deps.db.transaction(async (tx) => {
    const finished = await finishExecution(tx, row.id, deps.owner, f);
    if (!finished) return undefined;
    await appendAudit(tx, 'executor', 'execution.finish', 'execution', row.id, { status: f.status, outcome: f.outcome, reason: f.reason });
    await recordResolution(tx, finished, f.outcome);
    return finished;
  });
  if (!done) return;
  await deps.publishOutcome(done, kind);
}

async function load(db: Db, row: ExecutionRow): Promise<Preloaded> {
  const [spec, record, steps] = await Promise.all([getVersion(db, row.playbookId, row.playbookVersion), decisionRecord(db, row.id), listSteps(db, row.id)]);
  return { spec, anomaly: (record?.anomaly ?? { service: row.service, episodeId: row.episodeId, score: row.scoreBefore }) as Record<string, unknown>, steps };
}

/**
 * Drives a claimed execution to its end (or until `stop` aborts, the lease
 * is lost or the deadline passes), resuming after the last finished step.
 * `preloaded` (from the decision that inserted it) skips reading the
 * playbook version, the anomaly snapshot and the steps back.
 */
export async function runExecution(deps: EngineDeps, row: ExecutionRow, stop: AbortSignal, preloaded?: Preloaded): Promise<void> {
  const { spec, anomaly, steps } = preloaded ?? (await load(deps.db, row));
  const firstStart = Math.min(Date.now(), ...steps.map((s) => s.startedAt?.getTime() ?? Date.now()));
  const deadline = firstStart + executionBudgetMs(spec);
  const kind = String(anomaly.kind ?? '');
  if (Date.now() >= deadline) {
    return complete(deps, row, { status: 'timed_out', outcome: 'not_resolved', reason: 'deadline passed while no executor was running it' }, kind);
  }
  const ctl = new AbortController();
  const onStop = () => ctl.abort(stop.reason);
  stop.addEventListener('abort', onStop, { once: true });
  const deadlineTimer = setTimeout(() => ctl.abort(new DeadlineError(`deadline of ${executionBudgetMs(spec)} ms passed`)), deadline - Date.now());
  const heartbeat = startHeartbeat(deps, row, ctl);
  const ctx: RunContext = {
    db: deps.db,
    activities: deps.activities,
    redact: deps.redact,
    owner: deps.owner,
    executionId: row.id,
    episodeId: row.episodeId,
    scoreBefore: row.scoreBefore,
    signal: ctl.signal,
    template: {
      anomaly,
      secret: deps.secrets,
      execution: { id: row.id },
      playbook: { id: row.playbookId, name: spec.name, version: row.playbookVersion },
      ...(row.forecast ? { forecast: row.forecast } : {}),
    },
  };
  try {
    // Conditions read the service's latest deployment as it was when this run of the execution started.
    const deploy = spec.steps.some((st) => st.when !== undefined) ? await readDeployView(deps.db, row.service, Date.now()) : null;
    const cond = { anomaly, deploy, prior: new Map(steps.map((st) => [st.idempotencyKey, st])) };
    const f = await drive(ctx, row, spec, deps.forecast, cond);
    if (f) await complete(deps, row, f, kind);
  } catch (err) {
    const reason = ctl.signal.aborted ? ctl.signal.reason : err;
    if (reason instanceof DeadlineError) return complete(deps, row, { status: 'timed_out', outcome: 'not_resolved', reason: reason.message }, kind);
    if (reason instanceof LeaseLostError) return;
    if (stop.aborted) return releaseLease(deps.db, row.id, deps.owner);
    throw err;
  } finally {
    clearInterval(heartbeat);
    clearTimeout(deadlineTimer);
    stop.removeEventListener('abort', onStop);
  }
}
