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
  /** The service's feature names, in its order (may have grown since: only the first `count` are this window's). */
  readonly features: readonly string[];
  /** Numbers holding the bands (shared with other windows of the round): feature `i`'s expected, lower, upper at `offset + 3 * i`; NaN for a feature the window did not have, or still warming up. */
  readonly values: ArrayLike<number>;
  readonly offset: number;
  /** Features of the service when the window was scored. */
  readonly count: number;
}

/**
 * {@link ExpectedBands} built by `new` rather than as an object literal: every
 * result of a round holds one until the round ends, which makes V8 allocate a
 * literal's objects straight into the old generation (see `WindowScore` in
 * episode-step.ts), where only a full collection frees them.
 */
export class WindowBands implements ExpectedBands {
  constructor(
    readonly features: readonly string[],
    readonly values: ArrayLike<number>,
    readonly offset: number,
    readonly count: number,
  ) {}
}

/** The band `[expected, lower, upper]` of `feature` (undefined: none). */
export function bandOf(bands: ExpectedBands | undefined, feature: string): [number, number, number] | undefined {
  if (!bands) return undefined;
  const i = bands.features.indexOf(feature);
  if (i < 0 || i >= bands.count) return undefined;
  const v = bands.values;
  const o = bands.offset + 3 * i;
  return Number.isNaN(v[o]) ? undefined : [v[o] as number, v[o + 1] as number, v[o + 2] as number];
}

/** The bands as the rollups store them: feature -> `[expected, lower, upper]`. */
export function bandsRecord(bands: ExpectedBands | undefined): Record<string, [number, number, number]> {
  const out: Record<string, [number, number, number]> = {};
  if (!bands) return out;
  const v = bands.values;
  for (let i = 0; i < bands.count; i++) {
    const o = bands.offset + 3 * i;
    if (!Number.isNaN(v[o])) out[bands.features[i] as string] = [v[o] as number, v[o + 1] as number, v[o + 2] as number];
  }
  return out;
}

/** Numbers per chunk of a {@link BandArena} by default. */
const CHUNK = 32_768;

/**
 * Room for the bands of many windows: chunks of numbers handed out in
 * order and never reused (a window's bands live as long as its result), so
 * that a round allocates a few large typed arrays (their numbers outside the heap)
 * instead of one small array per window.
 */
export class BandArena {
  private chunk = new Float64Array(0);
  private used = 0;
  /** Where the room of the last {@link BandArena.reserve} starts in the array it returned. */
  offset = 0;

  /** `chunkSize`: numbers per chunk (default 32,768, 256 KB: the bands of about a thousand windows). */
  constructor(private readonly chunkSize = CHUNK) {}

  /** Reserves `n` numbers: returns the array they are in (from {@link BandArena.offset}). */
  reserve(n: number): Float64Array {
    if (this.used + n > this.chunk.length) {
      this.chunk = new Float64Array(Math.max(n, this.chunkSize));
      this.used = 0;
    }
    this.offset = this.used;
    this.used += n;
    return this.chunk;
  }
}
