import { withDeadline } from '../core/deadline.ts';
import { describeError, PermanentError, RetryableError } from '../core/errors.ts';
import { nextRetry, type RetryPolicy, sleep } from '../core/retry.ts';
import { type ActionSpec, type Redactor, safeToRepeat, type TemplateContext } from '../playbooks/index.ts';
import type { Db, ExecutionStepRow } from '../store/index.ts';
import { appendAudit, type BegunAttempt, beginAttempt, finishStep, largestDeviation, readIncident, type StepIdentity } from './execution-repo.ts';
import type { StepActivities, StepOutput } from './steps/index.ts';

/** Thrown when this worker no longer holds the execution (lease expired and taken, or the execution was cancelled). */
export class LeaseLostError extends Error {
  constructor(id: string) {
    super(`lost the lease of execution ${id}`);
  }
}

/** What a finished step reports to the engine. */
export type StepResult = { ok: true; output: StepOutput } | { ok: false; error: string };

/** Shared resources of one execution's run. */
export interface RunContext {
  db: Db;
  activities: StepActivities;
  redact: Redactor;
  owner: string;
  executionId: string;
  episodeId: string;
  scoreBefore: number;
  template: Omit<TemplateContext, 'step'>;
  /** Aborted on lease loss, cancellation, deadline or shutdown; its reason says which. */
  signal: AbortSignal;
}

/** Retry policy of an action (default: a single attempt). */
export function policyOf(a: ActionSpec): RetryPolicy {
  const r = a.retry;
  return r
    ? { maxAttempts: r.maxAttempts, initialDelayMs: r.initialDelayMs, backoff: r.backoff, maxDelayMs: r.maxDelayMs }
    : { maxAttempts: 1, initialDelayMs: 0, backoff: 1, maxDelayMs: 0 };
}

function resultOfFinished(row: ExecutionStepRow): StepResult {
  if (row.status === 'succeeded') return { ok: true, output: (row.response ?? {}) as StepOutput };
  // A verify step that judged the fix did not work ended `failed` but carries its verdict.
  const out = (row.response ?? {}) as StepOutput;
  if (row.status === 'failed' && out.verdict) return { ok: true, output: out };
  return { ok: false, error: row.error ?? `step ended ${row.status}` };
}

/** The output persisted for a step (the request is stored apart): what `resultOfFinished` reads back after a restart. */
function persisted(out: StepOutput): StepOutput {
  return { response: out.response, ...(out.verdict ? { verdict: out.verdict } : {}), ...(out.scoreAfter !== undefined ? { scoreAfter: out.scoreAfter } : {}) };
}

/**
 * One attempt of a step. Every step type but wait and verify runs under a
 * deadline of its own timeout (a timer this function owns, so it fires even
 * when the target keeps a response trickling): the attempt then fails with a
 * retryable ZEROOPS_STEP_TIMEOUT and the step's retry policy decides.
 */
async function attemptOnce(ctx: RunContext, ident: StepIdentity, action: ActionSpec, begun: BegunAttempt): Promise<StepOutput> {
  const untimed = action.type === 'wait' || action.type === 'verify';
  const timeoutMs = (action.timeoutSeconds ?? 30) * 1000;
  const run = (signal: AbortSignal) =>
    ctx.activities[action.type](action, {
      template: { ...ctx.template, step: { id: ident.name, idempotencyKey: ident.idempotencyKey } },
      idempotencyKey: ident.idempotencyKey,
      signal,
      timeoutMs,
      firstStartedAt: begun.startedAt.getTime(),
      episodeId: ctx.episodeId,
      scoreBefore: ctx.scoreBefore,
      deviationBefore: largestDeviation(ctx.template.anomaly.evidence),
    });
  if (untimed) return run(ctx.signal);
  return withDeadline(timeoutMs, run, {
    signal: ctx.signal,
    onTimeout: () => new RetryableError('ZEROOPS_STEP_TIMEOUT', `step ${ident.name} (${action.type}): the attempt did not finish within ${timeoutMs} ms`),
  });
}

/**
 * The attempt before `begun` started and its result was never recorded. A
 * step that is safe to repeat is sent again while the episode is open (the
 * repeat is counted and audited); otherwise the step ends `unknown` and its
 * failure escalates. Returns the result to report, or undefined to go on.
 */
async function settleUnknown(ctx: RunContext, ident: StepIdentity, action: ActionSpec, begun: BegunAttempt): Promise<StepResult | undefined> {
  const previous = begun.attempt - 1;
  const safe = safeToRepeat(action);
  const open = safe && (await readIncident(ctx.db, ctx.episodeId))?.state !== 'closed';
  if (open) {
    await finishStep(ctx.db, ident.idempotencyKey, 'running', { repeated: true });
    await appendAudit(ctx.db, 'executor', 'step.repeat', 'execution', ctx.executionId, {
      step: ident.name,
      attempt: begun.attempt,
      reason: `attempt ${previous} started and its result was never recorded; the step is safe to repeat and the episode is open`,
    });
    return undefined;
  }
  const why = safe ? 'the episode has closed' : 'the step is not safe to repeat (idempotent: false)';
  const error = `outcome unknown: attempt ${previous} started and its result was never recorded; not sent again because ${why}`;
  await finishStep(ctx.db, ident.idempotencyKey, 'unknown', { error, attempt: previous });
  await appendAudit(ctx.db, 'executor', 'step.unknown', 'execution', ctx.executionId, { step: ident.name, attempt: previous, error });
  return { ok: false, error };
}

/**
 * Runs one step durably: each attempt is recorded (attempt count, fenced by
 * the lease, with its `step.start` audit record) before its side effect and its result after; a step that
 * already finished (before a restart) is never run again; retryable
 * failures are retried per the step's policy. An attempt whose result was
 * never recorded is settled by {@link settleUnknown} (repeat or `unknown`).
 */
export async function runStep(ctx: RunContext, ident: StepIdentity, action: ActionSpec): Promise<StepResult> {
  for (;;) {
    const begun = await beginAttempt(ctx.db, ident, ctx.owner);
    if (begun.leaseLost) throw new LeaseLostError(ctx.executionId);
    if (begun.finished) return resultOfFinished(begun.row);
    const attempt = begun.begun.attempt;
    if (begun.begun.unknownBefore) {
      const settled = await settleUnknown(ctx, ident, action, begun.begun);
      if (settled) return settled;
    }
    try {
      const out = await attemptOnce(ctx, ident, action, begun.begun);
      const stored = ctx.redact(persisted(out)) as StepOutput;
      // A verify step whose verdict is not `resolved` did its job but the fix did not work: the step reads failed.
      const worked = !out.verdict || out.verdict === 'resolved';
      const error = worked ? null : `verdict ${out.verdict}: the episode did not close by the verify deadline`;
      await finishStep(ctx.db, ident.idempotencyKey, worked ? 'succeeded' : 'failed', { request: ctx.redact(out.request ?? null), response: stored, error });
      await appendAudit(ctx.db, 'executor', worked ? 'step.succeeded' : 'step.failed', 'execution', ctx.executionId, {
        step: ident.name,
        attempt,
        ...(out.verdict ? { verdict: out.verdict } : {}),
      });
      return { ok: true, output: out };
    } catch (err) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const message = ctx.redact.text(describeError(err));
      const d = nextRetry(policyOf(action), attempt, err);
      const details = { step: ident.name, attempt, error: message, code: err instanceof PermanentError ? err.code : (err as { code?: string }).code };
      if (!d.retry) {
        await finishStep(ctx.db, ident.idempotencyKey, 'failed', { error: message, response: ctx.redact((err as { details?: unknown }).details ?? null) });
        await appendAudit(ctx.db, 'executor', 'step.failed', 'execution', ctx.executionId, details);
        return { ok: false, error: message };
      }
      await finishStep(ctx.db, ident.idempotencyKey, 'pending', { error: message });
      await appendAudit(ctx.db, 'executor', 'step.retry', 'execution', ctx.executionId, { ...details, delayMs: d.delayMs });
      await sleep(d.delayMs, ctx.signal);
    }
  }
}
