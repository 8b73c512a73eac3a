/**
 * The input side of the ARTime-style detector (ideas from NAB's ARTime entry,
 * written anew): a downsampler that keeps spikes, a levelizer that turns
 * values into a few discrete levels snapped to a running median, and the
 * window features (Haar wavelet shape + levels) presented to the ART network.
 *
 * Pure code; every state is JSON.
 */

/** Serializable state of a {@link SpikeDownsampler}. */
export interface DownsamplerState {
  step: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Moving average of chunk means (meaningless before the first chunk). */
  average: number;
  /** Chunks completed. */
  chunks: number;
}

/**
 * Reduces every `step` rows (a chunk) to one value: the chunk's extreme
 * farther from a moving average of chunk means, so short spikes survive,
 * unless that extreme lies within 10% of the chunk mean, when the mean is
 * emitted instead (small wiggles are smoothed away).
 */
export class SpikeDownsampler {
  private s: DownsamplerState;

  /**
   * @param step rows per chunk (>= 1).
   * @param state a state from {@link toJSON} to continue from (its step wins).
   */
  constructor(step: number, state?: DownsamplerState) {
    this.s = state ? { ...state } : { step, count: 0, sum: 0, min: 0, max: 0, average: 0, chunks: 0 };
  }

  /** Adds a row; returns the chunk's value when the row completes a chunk. */
  push(x: number): number | undefined {
    const s = this.s;
    s.count++;
    s.sum += x;
    s.min = s.count === 1 ? x : Math.min(s.min, x);
    s.max = s.count === 1 ? x : Math.max(s.max, x);
    if (s.count < s.step) return undefined;
    const mean = s.sum / s.count;
    s.average = s.chunks === 0 ? mean : (s.average + mean) / 2;
    s.chunks++;
    let out = Math.abs(s.max - s.average) < Math.abs(s.min - s.average) ? s.min : s.max;
    if (Math.abs(out - mean) < 0.1 * Math.abs(mean)) out = mean;
    s.count = 0;
    s.sum = 0;
    return out;
  }

  /** Least raw value of the last completed (or current) chunk. */
  get chunkMin(): number {
    return this.s.min;
  }

  /** Greatest raw value of the last completed (or current) chunk. */
  get chunkMax(): number {
    return this.s.max;
  }

  /** A copy of the state, safe to JSON-serialize. */
  toJSON(): DownsamplerState {
    return { ...this.s };
  }
}

/** Serializable state of a {@link Levelizer}. */
export interface LevelizerState {
  /** Level steps over [0, 1]. */
  levels: number;
  chomp: number;
  lo: number;
  span: number;
  bins: number[];
  median: number;
  below: number;
  above: number;
  seen: number;
}

/**
 * Scales a value into [0, 1] by a fixed range (values outside are clamped),
 * rounds it to one of `levels + 1` levels and snaps it to a running median
 * level when within `chomp`, so noise around the usual level reads as
 * exactly that level. The median is tracked by counts per level and moves
 * one occupied level per value: approximate, cheap and serializable.
 */
export class Levelizer {
  private s: LevelizerState;

  /**
   * @param levels number of level steps over [0, 1] (ARTime: 80).
   * @param chomp snapping distance to the median level, in [0, 1] units (ARTime: 0.075).
   * @param lo value mapped to 0.
   * @param span value range mapped to [0, 1] (> 0).
   * @param state a state from {@link toJSON} to continue from (its settings win).
   */
  constructor(levels: number, chomp: number, lo: number, span: number, state?: LevelizerState) {
    this.s = state
      ? { ...state, bins: [...state.bins] }
      : { levels, chomp, lo, span, bins: new Array<number>(levels + 1).fill(0), median: 0, below: 0, above: 0, seen: 0 };
  }

  /** Level-snapped value in [0, 1] of raw value `x`; updates the median. */
  apply(x: number): number {
    const s = this.s;
    const scaled = Math.min(1, Math.max(0, (x - s.lo) / s.span));
    const level = Math.round(scaled * s.levels);
    s.bins[level] = (s.bins[level] as number) + 1;
    s.seen++;
    if (s.seen === 1) s.median = level;
    if (level < s.median) s.below++;
    else if (level > s.median) s.above++;
    const half = Math.floor(s.seen / 2);
    if (s.above > half) {
      s.below += s.bins[s.median] as number;
      do s.median++;
      while ((s.bins[s.median] as number) === 0);
      s.above -= s.bins[s.median] as number;
    } else if (s.below > half) {
      s.above += s.bins[s.median] as number;
      do s.median--;
      while ((s.bins[s.median] as number) === 0);
      s.below -= s.bins[s.median] as number;
    }
    const value = level / s.levels;
    const med = s.median / s.levels;
    return Math.abs(value - med) < s.chomp ? med : value;
  }

  /** Raw value mapped to 0 and the raw range mapped to [0, 1]. */
  get scale(): { lo: number; span: number } {
    return { lo: this.s.lo, span: this.s.span };
  }

  /**
   * Re-scales to a range containing the current one: the level counts move
   * to the levels their values now fall on and the median is recounted.
   *
   * @returns `[a, b]` such that a scaled value u becomes `a * u + b`.
   */
  rescale(lo: number, span: number): [number, number] {
    const s = this.s;
    const a = s.span / span;
    const b = (s.lo - lo) / span;
    const bins = new Array<number>(s.levels + 1).fill(0);
    const move = (l: number): number => Math.min(s.levels, Math.max(0, Math.round(a * l + b * s.levels)));
    for (const [l, c] of s.bins.entries()) if (c > 0) bins[move(l)] = (bins[move(l)] as number) + c;
    s.bins = bins;
    s.median = move(s.median);
    s.below = 0;
    s.above = 0;
    for (const [l, c] of bins.entries()) {
      if (l < s.median) s.below += c;
      else if (l > s.median) s.above += c;
    }
    s.lo = lo;
    s.span = span;
    return [a, b];
  }

  /** A copy of the state, safe to JSON-serialize. */
  toJSON(): LevelizerState {
    return { ...this.s, bins: [...this.s.bins] };
  }
}

/**
 * Features of a window of level values (length a power of two, in [0, 1]):
 * the window min-max scaled, Haar-transformed and min-max scaled again (its
 * shape, free of level and amplitude), followed by the window itself (where
 * it lies). Written into `out` (length 2 * window.length).
 */
export function windowFeatures(window: readonly number[], out: Float64Array): void {
  const n = window.length;
  const shape = minMaxScale(window.slice());
  const coeffs = minMaxScale(haar(shape));
  for (let k = 0; k < n; k++) {
    out[k] = coeffs[k] as number;
    out[n + k] = window[k] as number;
  }
}

/** Full orthonormal Haar transform: [approximation, coarsest detail, ..., finest details]. */
export function haar(x: readonly number[]): number[] {
  const out = x.slice();
  let len = x.length;
  const tmp = new Array<number>(len);
  while (len > 1) {
    const half = len / 2;
    for (let k = 0; k < half; k++) {
      const a = out[2 * k] as number;
      const b = out[2 * k + 1] as number;
      tmp[k] = (a + b) / Math.SQRT2;
      tmp[half + k] = (a - b) / Math.SQRT2;
    }
    for (let k = 0; k < len; k++) out[k] = tmp[k] as number;
    len = half;
  }
  return out;
}

function minMaxScale(x: number[]): number[] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of x) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const span = hi - lo;
  return x.map((v) => (span > 0 ? (v - lo) / span : v - lo));
}
