import { PermanentError } from '../../core/errors.ts';
import { sleep } from '../../core/retry.ts';
import type { StepActivity, StepDeps, VerifyVerdict } from './types.ts';

/** Default poll interval of a verify step, in seconds. */
export const DEFAULT_VERIFY_POLL_SECONDS = 5;

/** Creates the `wait` step: sleeps until `seconds` after the step first started (so a resumed wait only waits what is left). */
export function createWaitStep(): StepActivity {
  return async (action, rt) => {
    const p = action.wait;
    if (!p) throw new PermanentError('ZEROOPS_STEP_INVALID', 'wait step without wait parameters');
    const until = rt.firstStartedAt + p.seconds * 1000;
    await sleep(Math.max(0, until - Date.now()), rt.signal);
    return { response: { waitedUntil: new Date(until).toISOString() } };
  };
}

/**
 * Pure verdict of a verify step: resolved once the episode closed; at the
 * deadline, made_worse when the score rose above the score at the start,
 * otherwise not_resolved; `undefined` while it is still too early to say.
 */
export function verifyVerdict(
  state: 'open' | 'closed' | undefined,
  lastScore: number | undefined,
  scoreBefore: number,
  deadlinePassed: boolean,
): VerifyVerdict | undefined {
  if (state === 'closed') return 'resolved';
  if (!deadlinePassed) return undefined;
  return lastScore !== undefined && lastScore > scoreBefore ? 'made_worse' : 'not_resolved';
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
      const verdict = verifyVerdict(inc?.state, inc?.lastScore, rt.scoreBefore, Date.now() >= deadline);
      if (verdict)
        return {
          verdict,
          scoreAfter: inc?.lastScore,
          response: { verdict, episodeState: inc?.state ?? 'unknown', lastScore: inc?.lastScore ?? null, scoreBefore: rt.scoreBefore },
        };
      await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())), rt.signal);
    }
  };
}
