/** Peaks of an autocorrelation: the candidate periods of a series. */

/** Lags that are the highest within ±10 % of themselves, above `minStrength`, and clearly above the lowest value before them. */
export function peaks(acf: readonly number[], from: number, to: number, minStrength: number): number[] {
  const out: number[] = [];
  let runningMin = Number.POSITIVE_INFINITY;
  for (let k = 1; k <= to; k++) {
    const v = acf[k] as number;
    runningMin = Math.min(runningMin, v);
    if (k < from || v < minStrength || v - runningMin < 0.1) continue;
    const w = Math.max(2, Math.round(k * 0.1));
    let best = true;
    for (let j = Math.max(1, k - w); j <= Math.min(acf.length - 1, k + w) && best; j++) if ((acf[j] as number) > v) best = false;
    if (best) out.push(k);
  }
  return out;
}

/**
 * How many standard errors the autocorrelation at lag `k` stands above 0, for a series with no cycle but its
 * own persistence: Bartlett's variance (1 + 2 sum r_j^2) / pairs, summed over the lags before the
 * autocorrelation first falls to 0 (the persistence; the lags after belong to the cycle being tested, whose
 * trough would otherwise count against its own peak). A level that wanders keeps its lags positive long and
 * its standard error wide; independent noise gives 1/sqrt(pairs).
 */
export function bartlettZ(acf: readonly number[], pairs: readonly number[], k: number): number {
  let sum = 0;
  for (let j = 1; j < k && (acf[j] as number) > 0; j++) sum += (acf[j] as number) ** 2;
  const m = pairs[k] ?? 0;
  return m > 0 ? (acf[k] as number) / Math.sqrt((1 + 2 * sum) / m) : 0;
}
