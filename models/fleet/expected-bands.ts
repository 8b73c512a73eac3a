/**
 * What the seasonal baselines expected of a scored window's features before
 * learning it, kept compact: the service's feature names (its own list,
 * shared, not copied) and three numbers per feature (expected, lower, upper;
 * the band is where a feature scores below 0.5). A round keeps every
 * service's result alive until it ends, so one array per window instead of
 * an object and an array per feature is what keeps the scoring path's
 * garbage collection short (see README, `make bench-detector`). The rollups
 * store the same bands as a record ({@link bandsRecord}).
 */

/** Compact bands of one window; see the module comment. */
export interface ExpectedBands {
  /** The service's feature names, in its order (may have grown since: only the first `values.length / 3` count). */
  readonly features: readonly string[];
  /** Per feature `3 * i`: expected, lower, upper; NaN for a feature the window did not have, or still warming up. */
  readonly values: readonly number[];
}

/** The band `[expected, lower, upper]` of `feature` (undefined: none). */
export function bandOf(bands: ExpectedBands | undefined, feature: string): [number, number, number] | undefined {
  if (!bands) return undefined;
  const i = bands.features.indexOf(feature);
  const v = bands.values;
  if (i < 0 || 3 * i + 2 >= v.length || Number.isNaN(v[3 * i])) return undefined;
  return [v[3 * i] as number, v[3 * i + 1] as number, v[3 * i + 2] as number];
}

/** The bands as the rollups store them: feature -> `[expected, lower, upper]`. */
export function bandsRecord(bands: ExpectedBands | undefined): Record<string, [number, number, number]> {
  const out: Record<string, [number, number, number]> = {};
  if (!bands) return out;
  const v = bands.values;
  for (let i = 0; 3 * i + 2 < v.length; i++) {
    if (!Number.isNaN(v[3 * i])) out[bands.features[i] as string] = [v[3 * i] as number, v[3 * i + 1] as number, v[3 * i + 2] as number];
  }
  return out;
}
