import { PermanentError } from '../../core/errors.ts';
import { sleep } from '../../core/retry.ts';
import type { StepActivity, StepDeps, VerifyVerdict } from './types.ts';

/** Default poll interval of a verify step, in seconds. */
export const DEFAULT_VERIFY_POLL_SECONDS = 5;

/**
 * Creates the `wait` step: sleeps until `seconds` after the step first
 * started (so a resumed wait only waits what is left). With
 * `untilEpisodeCloses` it reads the episode every `pollSeconds` (default
 * {@link DEFAULT_VERIFY_POLL_SECONDS}) and ends as soon as it is closed: a
 * settle time after an operation need not run on once the operation worked.
 */
export function createWaitStep(deps: Pick<StepDeps, 'readIncident'>): StepActivity {
  return async (action, rt) => {
    const p = action.wait;
    if (!p) throw new PermanentError('ZEROOPS_STEP_INVALID', 'wait step without wait parameters');
    const until = rt.firstStartedAt + p.seconds * 1000;
    const waited = { response: { waitedUntil: new Date(until).toISOString() } };
    if (!p.untilEpisodeCloses) {
      await sleep(Math.max(0, until - Date.now()), rt.signal);
      return waited;
    }
    const pollMs = (p.pollSeconds ?? DEFAULT_VERIFY_POLL_SECONDS) * 1000;
    for (;;) {
      if ((await deps.readIncident(rt.episodeId))?.state === 'closed') return { response: { endedAt: new Date().toISOString(), episodeClosed: true } };
      const left = until - Date.now();
      if (left <= 0) return waited;
      await sleep(Math.min(left, pollMs), rt.signal);
    }
  };
}

/** Growth of the largest deviation, in baseline spreads, that counts as worse whatever its size (one window's noise is about one spread). */
export const WORSE_SPREADS = 3;
/** Relative growth of the largest deviation that counts as worse: a fault far out (tens of spreads) varies by more than 3 spreads by itself. */
export const WORSE_SHARE = 0.25;
/** Rise of the score that counts as worse when the events carry no evidence to measure deviations with. */
export const WORSE_SCORE_RISE = 0.1;

/** How the episode stood when the execution was decided and how it stands now. */
export interface VerifyReading {
  state: 'open' | 'closed' | undefined;
  scoreBefore: number;
  lastScore?: number;
  /** Largest absolute deviations, in spreads of the (pre-fault) baseline, before and now. */
  deviationBefore?: number;
  lastDeviation?: number;
}

/**
 * Whether the episode got worse beyond noise: its largest deviation from
 * the pre-fault baseline grew by more than {@link WORSE_SPREADS} spreads and
 * more than {@link WORSE_SHARE} of what it was. Without a deviation after the
 * settling time there is nothing to judge by (not worse); without evidence
 * at all, the score rose by more than {@link WORSE_SCORE_RISE}. (The
 * detector emits an event whenever the deviation grows by as much, so the
 * events hold what this needs.)
 */
export function gotWorse(r: VerifyReading): boolean {
  if (r.deviationBefore !== undefined) {
    if (r.lastDeviation === undefined) return false;
    const growth = r.lastDeviation - r.deviationBefore;
    return growth > WORSE_SPREADS && growth > WORSE_SHARE * r.deviationBefore;
  }
  return r.lastScore !== undefined && r.lastScore - r.scoreBefore > WORSE_SCORE_RISE;
}

/**
 * Windows after the verify step starts that still count as "before": a fault
 * often starts within a window, so its first windows (the ones an automatic
 * action answers) understate it; its full size shows a window or two later.
 */
export const SETTLE_WINDOWS = 2;

/**
 * Pure verdict of a verify step: resolved once the episode closed (the
 * detector closes it only when the features are back within their pre-fault
 * expectation); at the deadline, made_worse when it {@link gotWorse},
 * otherwise not_resolved; `undefined` while it is still too early to say.
 */
export function verifyVerdict(r: VerifyReading, deadlinePassed: boolean): VerifyVerdict | undefined {
  if (r.state === 'closed') return 'resolved';
  if (!deadlinePassed) return undefined;
  return gotWorse(r) ? 'made_worse' : 'not_resolved';
}

/**
 * Creates the `verify` step: polls the detector's incidents row until the
 * episode closes or `deadlineSeconds` (from the step's first start) pass.
 */
export function createVerifyStep(deps: StepDeps): StepActivity {
  return async (action, rt) => {
    const p = action.verify;
    if (!p) throw new PermanentError('ZEROOPS_STEP_INVALID', 'verify step without verify parameters');
    const deadline = rt.firstStartedAt + p.deadlineSeconds * 1000;
    const pollMs = (p.pollSeconds ?? DEFAULT_VERIFY_POLL_SECONDS) * 1000;
    for (;;) {
      const inc = await deps.readIncident(rt.episodeId);
      const dev = await deps.readDeviations?.(rt.episodeId, rt.firstStartedAt + SETTLE_WINDOWS * deps.config.windowSeconds * 1000);
      const before = [rt.deviationBefore, dev?.before].filter((d): d is number => d !== undefined);
      const reading: VerifyReading = {
        state: inc?.state,
        scoreBefore: rt.scoreBefore,
        lastScore: inc?.lastScore,
        deviationBefore: before.length > 0 ? Math.max(...before) : undefined,
        lastDeviation: dev?.after,
      };
      const verdict = verifyVerdict(reading, Date.now() >= deadline);
      if (verdict)
        return {
          verdict,
          scoreAfter: inc?.lastScore,
          response: {
            verdict,
            episodeState: inc?.state ?? 'unknown',
            lastScore: inc?.lastScore ?? null,
            scoreBefore: rt.scoreBefore,
            deviationBefore: reading.deviationBefore ?? null,
            lastDeviation: reading.lastDeviation ?? null,
          },
        };
      await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())), rt.signal);
    }
  };
}
