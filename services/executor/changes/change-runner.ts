/**
 * Drives one managed change held under its lease: apply the change step,
 * watch the service against its pre-change baseline, and undo on a
 * regression. Every state is written (lease-fenced) before the side effect
 * it allows, so a resumed change never applies twice unless its step is
 * safe to repeat (then with the same Idempotency-Key).
 */
import { withDeadline } from '../../core/deadline.ts';
import { describeError, RetryableError } from '../../core/errors.ts';
import { nextRetry, sleep } from '../../core/retry.ts';
import { type ActionSpec, safeToRepeat } from '../../playbooks/index.ts';
import type { ChangeRow, Db } from '../../store/index.ts';
import { appendAudit } from '../execution-repo.ts';
import { policyOf } from '../step-runner.ts';
import type { StepActivities } from '../steps/index.ts';
import { beginChangeAttempt, updateLeased } from './change-repo.ts';
import { type ChangeSpec, sustainSecondsOf } from './change-spec.ts';
import { baselineOf, episodeOpenedSince, judgeWatch, readWindows, type WatchBaseline } from './change-watch.ts';

/** What driving a change needs. */
export interface ChangeRunDeps {
  db: Db;
  activities: StepActivities;
  secrets: Record<string, string>;
  owner: string;
  /** Detector window, in seconds. */
  windowSeconds: number;
  /** How often the watch reads the service's signals, in ms. */
  watchPollMs: number;
}

/** Thrown when the lease of a change was lost (expired and taken, or the change was cancelled). */
export class ChangeLeaseLost extends Error {
  constructor(id: string) {
    super(`lost the lease of change ${id}`);
  }
}

interface Ctx {
  deps: ChangeRunDeps;
  row: ChangeRow;
  spec: ChangeSpec;
  signal: AbortSignal;
}

// The watch compares these times with window ends the detector stamps by its own clock, so they come from this process, not the database.
const clockNow = () => new Date();

async function write(c: Ctx, fields: Parameters<typeof updateLeased>[3], audit?: { action: string; details: Record<string, unknown> }): Promise<ChangeRow> {
  const row = await updateLeased(c.deps.db, c.row.id, c.deps.owner, fields);
  if (!row) throw new ChangeLeaseLost(c.row.id);
  if (audit) await appendAudit(c.deps.db, 'executor', audit.action, 'change', c.row.id, audit.details);
  c.row = row;
  return row;
}

const finished = () => ({ finishedAt: clockNow(), leaseOwner: null, leaseExpiresAt: null });

/** Runs an action with its retry policy, each attempt under its own timeout; ok or the error. */
async function runAction(c: Ctx, action: ActionSpec, which: 'apply' | 'undo'): Promise<{ ok: true; response: unknown } | { ok: false; error: string }> {
  const key = `change:${c.row.id}:${which}`;
  const template = {
    anomaly: { service: c.spec.service, ...(c.spec.version ? { version: c.spec.version } : {}) },
    secret: c.deps.secrets,
    execution: { id: c.row.id },
    playbook: { id: c.row.id, name: 'change', version: 1 },
    step: { id: which === 'apply' ? 'change' : 'undo', idempotencyKey: key },
  };
  const timeoutMs = (action.timeoutSeconds ?? 30) * 1000;
  const startedAt = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      const out = await withDeadline(
        timeoutMs,
        (signal) =>
          c.deps.activities[action.type](action, {
            template,
            idempotencyKey: key,
            signal,
            timeoutMs,
            firstStartedAt: startedAt,
            episodeId: c.row.id,
            scoreBefore: 0,
          }),
        { signal: c.signal, onTimeout: () => new RetryableError('ZEROOPS_STEP_TIMEOUT', `${which} step did not finish within ${timeoutMs} ms`) },
      );
      return { ok: true, response: out.response ?? null };
    } catch (err) {
      if (c.signal.aborted) throw c.signal.reason;
      const d = nextRetry(policyOf(action), attempt, err);
      if (!d.retry) return { ok: false, error: describeError(err) };
      await sleep(d.delayMs, c.signal);
    }
  }
}

async function apply(c: Ctx): Promise<void> {
  const { db } = c.deps;
  const before = await beginChangeAttempt(db, c.row.id, c.deps.owner, 'apply');
  if (before === undefined) throw new ChangeLeaseLost(c.row.id);
  if (before > 0 && !safeToRepeat(c.spec.change)) {
    const reason = `the change step's outcome is unknown (attempt ${before} started and its result was never recorded) and it is not safe to repeat; undoing`;
    await write(c, { state: 'rolling_back', reason }, { action: 'change.unknown', details: { attempt: before } });
    return;
  }
  if (!c.row.baseline) {
    const to = Date.now();
    const windows = await readWindows(db, c.spec.service, to - c.spec.baselineSeconds * 1000, to);
    const baseline = {
      ...baselineOf(windows),
      windows: windows.length,
      from: new Date(to - c.spec.baselineSeconds * 1000).toISOString(),
      to: new Date(to).toISOString(),
    };
    await write(c, { baseline });
  }
  await appendAudit(db, 'executor', 'change.apply', 'change', c.row.id, { attempt: before + 1, repeat: before > 0 });
  const res = await runAction(c, c.spec.change, 'apply');
  if (!res.ok) {
    const reason = `the change step failed: ${res.error}`;
    await write(c, { state: 'failed', reason, ...finished() }, { action: 'change.failed', details: { error: res.error } });
    return;
  }
  const watchUntil = new Date(Date.now() + c.spec.watchSeconds * 1000);
  await write(
    c,
    {
      state: 'watching',
      appliedAt: clockNow(),
      watchUntil,
      reason: `applied; watching ${c.spec.service} for ${c.spec.watchSeconds} s against its pre-change baseline`,
    },
    { action: 'change.applied', details: { response: res.response } },
  );
}

async function watch(c: Ctx): Promise<void> {
  const { db, windowSeconds, watchPollMs } = c.deps;
  const applied = c.row.appliedAt?.getTime() ?? Date.now();
  const until = c.row.watchUntil?.getTime() ?? applied + c.spec.watchSeconds * 1000;
  const stored = (c.row.baseline ?? {}) as Partial<WatchBaseline>;
  const baseline: WatchBaseline = { features: stored.features ?? {}, ...(stored.score ? { score: stored.score } : {}) };
  const rule = { windowMs: windowSeconds * 1000, sustainMs: sustainSecondsOf(c.spec) * 1000 };
  for (;;) {
    const v = judgeWatch(baseline, await readWindows(db, c.spec.service, applied + 1, Date.now() + windowSeconds * 1000), rule);
    if (v.regression) {
      // An episode the detector opened since the change (in the window that straddles it too) is named with the regression.
      const ep = await episodeOpenedSince(db, c.spec.service, applied - windowSeconds * 1000);
      const why = ep ? `${v.reason}; anomaly episode ${ep.id} opened on ${c.spec.service} at ${ep.openedAt.toISOString()}` : v.reason;
      await write(
        c,
        { state: 'rolling_back', reason: `${why}; undoing`, verdict: { ...v, ...(ep ? { episode: ep.id } : {}) } },
        { action: 'change.regression', details: { reason: why } },
      );
      return;
    }
    if (Date.now() >= until) {
      const reason = `kept: no regression within the ${c.spec.watchSeconds} s watch (${v.reason}; ${v.windows} window(s))`;
      await write(c, { state: 'kept', reason, verdict: { ...v }, ...finished() }, { action: 'change.kept', details: { reason } });
      return;
    }
    await write(c, { verdict: { ...v } });
    await sleep(Math.max(0, Math.min(watchPollMs, until - Date.now())), c.signal);
  }
}

async function rollBack(c: Ctx): Promise<void> {
  const before = await beginChangeAttempt(c.deps.db, c.row.id, c.deps.owner, 'undo');
  if (before === undefined) throw new ChangeLeaseLost(c.row.id);
  if (before > 0 && !safeToRepeat(c.spec.undo)) {
    const reason = `${c.row.reason}; the undo step's outcome is unknown (attempt ${before} was never recorded) and it is not safe to repeat`;
    await write(c, { state: 'failed', reason, ...finished() }, { action: 'change.failed', details: { reason } });
    return;
  }
  const res = await runAction(c, c.spec.undo, 'undo');
  const base = c.row.reason.replace(/; undoing$/, '');
  if (res.ok)
    await write(
      c,
      { state: 'rolled_back', reason: `${base}; rolled back`, ...finished() },
      { action: 'change.rolled_back', details: { response: res.response } },
    );
  else
    await write(
      c,
      { state: 'failed', reason: `${base}; the undo step failed: ${res.error}`, ...finished() },
      { action: 'change.failed', details: { error: res.error } },
    );
}

/** Drives a claimed change from its state to an end (or until `signal` aborts: lease lost, shutdown). */
export async function driveChange(deps: ChangeRunDeps, row: ChangeRow, signal: AbortSignal): Promise<ChangeRow> {
  const c: Ctx = { deps, row, spec: row.spec as unknown as ChangeSpec, signal };
  if (c.row.state === 'applying') await apply(c);
  if (c.row.state === 'watching') await watch(c);
  if (c.row.state === 'rolling_back') await rollBack(c);
  return c.row;
}
