/** The quietest stretch of a forecast: where deferrable work disturbs the fewest requests. */

/** A stretch of `width` consecutive forecast steps. */
export interface QuietWindow {
  /** Index of its first step. */
  start: number;
  /** Mean expected load over it. */
  mean: number;
}

/**
 * The stretch of `width` steps, starting within the first `limit` steps of
 * `expected`, with the lowest mean (the earliest on a tie). Undefined when
 * `expected` is shorter than `width` or `limit` < 1.
 */
export function quietestWindow(expected: readonly number[], width: number, limit: number): QuietWindow | undefined {
  const w = Math.max(1, Math.floor(width));
  const last = Math.min(Math.floor(limit), expected.length - w + 1);
  if (last < 1) return undefined;
  let sum = 0;
  for (let i = 0; i < w; i++) sum += expected[i] as number;
  let best: QuietWindow = { start: 0, mean: sum / w };
  for (let s = 1; s < last; s++) {
    sum += (expected[s + w - 1] as number) - (expected[s - 1] as number);
    if (sum / w < best.mean - 1e-12) best = { start: s, mean: sum / w };
  }
  return best;
}
