/** Transforms of a series for period detection: block means, and ranks. */

/** The largest divisor of `p` that is at most `p / 24` (1 for a short period). */
export function blockFor(p: number): number {
  for (let b = Math.floor(p / 24); b > 1; b--) if (p % b === 0) return b;
  return 1;
}

/** Means of consecutive blocks of `b` steps (of their finite values; NaN for a block with none). */
export function blockMeans(xs: readonly number[], b: number): number[] {
  const out: number[] = [];
  for (let i = 0; i + b <= xs.length; i += b) {
    let sum = 0;
    let k = 0;
    for (let j = i; j < i + b; j++) {
      const x = xs[j] as number;
      if (Number.isFinite(x)) {
        sum += x;
        k++;
      }
    }
    out.push(k > 0 ? sum / k : Number.NaN);
  }
  return out;
}

/**
 * The rank of each finite value of `xs` among them, from 0 (ties: the mean of their ranks; gaps stay gaps):
 * the order of the values without their sizes, so that a burst of a hundred times the usual count weighs as
 * one high value, and counts of 0, 1 and 2 are as far apart as the days make them.
 */
export function ranks(xs: readonly number[]): number[] {
  const idx = xs
    .map((x, i) => [x, i] as const)
    .filter(([x]) => Number.isFinite(x))
    .sort((a, b) => a[0] - b[0]);
  const out = xs.map(() => Number.NaN);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && (idx[j + 1] as readonly [number, number])[0] === (idx[i] as readonly [number, number])[0]) j++;
    for (let k = i; k <= j; k++) out[(idx[k] as readonly [number, number])[1]] = (i + j) / 2;
    i = j + 1;
  }
  return out;
}
