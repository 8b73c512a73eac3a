/**
 * A share of requests (the error ratio: k failed of n) judged over the run
 * of windows in which it stands above its expectation, not window by window.
 *
 * The count-aware deviation of one window (severity.ts,
 * {@link countedShareDeviation}) weighs a window by what its count can show:
 * 2 failed of 3 requests reads about 6 deviations, 1 of 2 about 2. A service
 * with a request or two per second, at 2-second windows, thus never shows a
 * sustained fault of 60 % failing requests in any one window (in the short
 * bench run the bad deploy on cart, at the low point of the demo's daily
 * rhythm: no event in 180 s), and since each such window scores below the
 * learning level, its baseline learned the failing share within a few
 * windows (the spread of a share learned from 1-of-2 windows is 0.2). The
 * same 60 % over the 12 requests of five such windows is beyond doubt.
 *
 * So the deviation pools the run's latest windows, as few as hold together
 * {@link POOL_REQUESTS} requests (the count that resolves the share to the
 * error ratio's 5 points), at most {@link POOL_WINDOWS}, and judges them as
 * one window of their pooled count: F failed of N, by the same count-aware
 * deviation. A window of N >= {@link POOL_REQUESTS} requests is judged
 * alone, as before. The baseline's spread is not narrowed for the k windows
 * pooled (it would be, for k independent windows), and the pool is bounded:
 * the deviation is a size that verify compares before and after a fix
 * (`made_worse`), and must not grow with a fault's duration or count.
 *
 * The same run counts, for severity, all the failing requests since it
 * began against chance ({@link ShareRun.tally}, {@link shareRunZ}): a
 * sustained fault adds up its counts window after window there, bounded by
 * the spread deviation (severity.ts, errorRatioSeverity).
 * Pure: numbers in, numbers out.
 */
import { chanceRatio, countedShareDeviation } from './severity.ts';

/** Requests a pool gathers before it stops reaching back: 1 / 5 points, the share one request of them is. */
export const POOL_REQUESTS = 20;
/** Windows a pool reaches back at most (the window itself included). */
export const POOL_WINDOWS = 10;

/**
 * The run of windows whose share stood above its expectation: `windows` in
 * the run so far, and `counts`, failed and requests of its latest windows
 * (at most {@link POOL_WINDOWS} - 1, oldest first, flat: f1, n1, f2, n2, ...).
 */
export interface ShareRun {
  windows: number;
  counts: number[];
  /**
   * The failing requests of every window of the run, against what their
   * expected shares (at least `MIN_BASELINE_ERROR_RATIO`) expect of that
   * many requests: `[failed, expected, variance]` (binomial: each window adds
   * its requests times its observed share, times its expected share, and
   * times p(1-p)). Severity reads it ({@link shareRunZ}).
   */
  tally: [failed: number, expected: number, variance: number];
}

/**
 * The deviation of a window's share `observed` of `requests` requests,
 * pooled with the latest windows of `run` (see the module comment) against
 * `expected` and the baseline's window-to-window `spread`. Without a run it
 * is {@link countedShareDeviation}; without a count (`requests` not above 0)
 * the spread deviation.
 */
export function pooledShareDeviation(run: ShareRun | undefined, observed: number, expected: number, spread: number, requests: number): number {
  if (!(requests > 0) || !run || requests >= POOL_REQUESTS) return countedShareDeviation(observed, expected, spread, requests);
  let failed = observed * requests;
  let n = requests;
  const c = run.counts;
  for (let j = c.length - 2, k = 1; j >= 0 && n < POOL_REQUESTS && k < POOL_WINDOWS; j -= 2, k++) {
    failed += c[j] as number;
    n += c[j + 1] as number;
  }
  return countedShareDeviation(failed / n, expected, spread, n);
}

/**
 * The run after a window whose share was `observed` of `requests` requests
 * against `expected`: the window joins the run when the share of the run's
 * latest windows with it (as many as hold {@link POOL_REQUESTS} requests, at
 * most {@link POOL_WINDOWS} - 1 kept) stands above the expectation, and the
 * run ends (undefined) when it does not. So one window without failures
 * among a few requests does not end a fault's run (it weighs its count in
 * the pool), and a run ends once its failures are a pool's worth of requests
 * behind. A window without requests or without an expectation tells nothing:
 * `run` comes back as it is. Returns a new object; `run` is not changed.
 */
export function advanceShareRun(run: ShareRun | undefined, observed: number | undefined, expected: number | undefined, requests: number): ShareRun | undefined {
  if (!(requests > 0) || observed === undefined || !Number.isFinite(observed) || expected === undefined || !Number.isFinite(expected)) return run;
  if (!run && !(observed > expected)) return undefined;
  const counts = [...(run?.counts ?? []), observed * requests, requests];
  // Only the latest windows that a pool can reach are kept.
  let from = counts.length - 2;
  let failed = counts[from] as number;
  let n = counts[from + 1] as number;
  while (from > 0 && n < POOL_REQUESTS && counts.length - from < 2 * (POOL_WINDOWS - 1)) {
    from -= 2;
    failed += counts[from] as number;
    n += counts[from + 1] as number;
  }
  if (!(failed / n > expected)) return undefined;
  const p0 = chanceRatio(expected);
  const t = run?.tally ?? [0, 0, 0];
  const tally: ShareRun['tally'] = [t[0] + observed * requests, t[1] + p0 * requests, t[2] + p0 * (1 - p0) * requests];
  return { windows: (run?.windows ?? 0) + 1, counts: counts.slice(from), tally };
}

/**
 * How far the failures of the whole `run` stand beyond chance, in binomial
 * standard deviations with a continuity correction: (failed - expected -
 * 0.5) / sqrt(variance) of its {@link ShareRun.tally}; 0 when the variance
 * is 0, NaN without a run or without a tally (a run restored from a
 * checkpoint older than the tally, until its next window adds one).
 */
export function shareRunZ(run: ShareRun | undefined): number {
  if (!run?.tally) return Number.NaN;
  const [failed, expected, variance] = run.tally;
  return variance > 0 ? (failed - expected - 0.5) / Math.sqrt(variance) : 0;
}
