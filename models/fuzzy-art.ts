/**
 * Fuzzy ART (Adaptive Resonance Theory) clustering with complement coding,
 * written from the published idea (Carpenter, Grossberg & Rosen, 1991):
 * every category is a hyperbox in [0, 1]^d; an input resonates with the
 * category of highest choice value whose match reaches the vigilance, which
 * then grows towards the input; if none does, the input founds a new category.
 *
 * Inputs are given in [0, 1]^d and complement coded internally, so a
 * category's weight is (lower corner, 1 - upper corner) and its match with
 * an input is 1 - (L1 distance from the input to the box) / d.
 */

/** Settings of a {@link FuzzyArt}. */
export interface FuzzyArtConfig {
  /** Input dimension d (before complement coding). */
  dims: number;
  /** Most categories kept; the least recently resonating one is replaced when full. Default 256. */
  maxCategories: number;
  /** Choice parameter alpha (> 0): small values prefer the tightest box. Default 0.001. */
  choiceAlpha: number;
  /** Learning rate beta in (0, 1]; 1 is fast learning. Default 1. */
  learningRate: number;
}

/** Default settings except `dims`. */
export const DEFAULT_FUZZY_ART: Omit<FuzzyArtConfig, 'dims'> = { maxCategories: 256, choiceAlpha: 0.001, learningRate: 1 };

/** Serializable state of a {@link FuzzyArt}. */
export interface FuzzyArtState {
  config: FuzzyArtConfig;
  /** Complement-coded weights, 2d numbers per category. */
  weights: number[][];
  /** Clock value at which each category last resonated. */
  lastUsed: number[];
  /** Inputs presented so far. */
  clock: number;
}

/** Outcome of presenting one input. */
export interface ArtResult {
  /** Best match over all categories, in [0, 1] (0 when there are none). */
  bestMatch: number;
  /** Whether no category reached the vigilance, so a new one was founded. */
  created: boolean;
}

/** Online Fuzzy ART; see the module comment. */
export class FuzzyArt {
  private readonly cfg: FuzzyArtConfig;
  private readonly weights: Float64Array[];
  private readonly norms: number[];
  private readonly lastUsed: number[];
  private clock: number;

  constructor(config: Partial<FuzzyArtConfig> & { dims: number }, state?: FuzzyArtState) {
    this.cfg = { ...DEFAULT_FUZZY_ART, ...(state?.config ?? config) };
    this.weights = (state?.weights ?? []).map((w) => Float64Array.from(w));
    this.norms = this.weights.map(sum);
    this.lastUsed = state ? [...state.lastUsed] : [];
    this.clock = state?.clock ?? 0;
  }

  /** Number of categories. */
  get size(): number {
    return this.weights.length;
  }

  /**
   * Presents an input (values in [0, 1], length `dims`; values outside are
   * clamped): finds the resonating category and learns.
   *
   * @param vigilance least match in [0, 1] for a category to learn the input.
   * @param learn when false the categories are left unchanged.
   */
  present(input: ArrayLike<number>, vigilance: number, learn = true): ArtResult {
    const d = this.cfg.dims;
    this.clock++;
    let bestMatch = 0;
    let chosen = -1;
    let chosenChoice = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < this.weights.length; j++) {
      const w = this.weights[j] as Float64Array;
      let inter = 0;
      for (let k = 0; k < d; k++) {
        const x = clamp01(input[k] as number);
        inter += Math.min(x, w[k] as number) + Math.min(1 - x, w[k + d] as number);
      }
      const match = inter / d;
      if (match > bestMatch) bestMatch = match;
      if (match < vigilance) continue;
      const choice = inter / (this.cfg.choiceAlpha + (this.norms[j] as number));
      if (choice > chosenChoice) {
        chosenChoice = choice;
        chosen = j;
      }
    }
    if (learn) {
      if (chosen >= 0) this.update(chosen, input);
      else this.found(input);
    }
    return { bestMatch, created: chosen < 0 };
  }

  private update(j: number, input: ArrayLike<number>): void {
    const d = this.cfg.dims;
    const beta = this.cfg.learningRate;
    const w = this.weights[j] as Float64Array;
    for (let k = 0; k < d; k++) {
      const x = clamp01(input[k] as number);
      w[k] = beta * Math.min(x, w[k] as number) + (1 - beta) * (w[k] as number);
      w[k + d] = beta * Math.min(1 - x, w[k + d] as number) + (1 - beta) * (w[k + d] as number);
    }
    this.norms[j] = sum(w);
    this.lastUsed[j] = this.clock;
  }

  private found(input: ArrayLike<number>): void {
    const d = this.cfg.dims;
    const w = new Float64Array(2 * d);
    for (let k = 0; k < d; k++) {
      const x = clamp01(input[k] as number);
      w[k] = x;
      w[k + d] = 1 - x;
    }
    let slot = this.weights.length;
    if (slot >= this.cfg.maxCategories) {
      // Full: the category unused for longest is the one least likely to be needed again.
      slot = 0;
      for (let j = 1; j < this.lastUsed.length; j++) if ((this.lastUsed[j] as number) < (this.lastUsed[slot] as number)) slot = j;
    }
    this.weights[slot] = w;
    this.norms[slot] = sum(w);
    this.lastUsed[slot] = this.clock;
  }

  /** A copy of the state, safe to JSON-serialize. */
  toJSON(): FuzzyArtState {
    return { config: { ...this.cfg }, weights: this.weights.map((w) => Array.from(w)), lastUsed: [...this.lastUsed], clock: this.clock };
  }
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(Math.max(x, 0), 1) : 0.5;
}

function sum(w: Float64Array): number {
  let s = 0;
  for (const v of w) s += v;
  return s;
}
