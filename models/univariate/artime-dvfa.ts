/**
 * Dual-vigilance fuzzy ART (DVFA) as ARTime uses it, written from the
 * published idea (Brito da Silva et al., 2019; ARTime, NAB 2022): inputs in
 * [0, 1]^d are complement coded; a category is a hyperbox weight
 * w = (lower corner, 1 - upper corner). The match of an input x with w is
 *
 *   M = (|x ∧ w| / |w|)^3 * E^2,
 *
 * where E (the "energy" similarity) is the same ratio restricted to the last
 * input dimension and its complement, so a window whose latest value leaves
 * the category's range on that dimension matches poorly however similar the
 * rest is. Against two vigilances rho_lb <= rho_ub:
 * - M >= rho_ub: every such category learns (fast commit: w <- x ∧ w);
 * - rho_lb <= M < rho_ub: a new category of the same cluster is founded;
 * - M < rho_lb: a new cluster is founded, which the detector treats as novelty.
 * Clusters are not stored: only "new cluster or not" matters downstream.
 */

/** Serializable state of a {@link DualVigilanceArt}. */
export interface DvfaState {
  /** Input dimension d (before complement coding). */
  dims: number;
  /** Most categories kept; the least recently used one is replaced when full. */
  maxCategories: number;
  /** Complement-coded weights, 2d numbers per category. */
  weights: number[][];
  /** Clock value at which each category last matched best or learned. */
  lastUsed: number[];
  /** Inputs presented so far. */
  clock: number;
}

/** Outcome of presenting one input. */
export interface DvfaResult {
  /** Best match M over all categories (0 when there are none). */
  match: number;
  /** Energy similarity E of the best-matching category (0 when there are none). */
  energy: number;
  /** Whether the input matched no category at rho_lb and founded a new cluster. */
  newCluster: boolean;
}

/** Online dual-vigilance fuzzy ART; see the module comment. */
export class DualVigilanceArt {
  private readonly dims: number;
  private readonly maxCategories: number;
  private readonly weights: Float64Array[];
  private readonly norms: number[];
  private readonly lastUsed: number[];
  private readonly matches: number[] = [];
  private energy = 0;
  private clock: number;

  /**
   * @param dims input dimension d.
   * @param maxCategories most categories kept (default 4096).
   * @param state a state from {@link toJSON} to continue from (its settings win).
   */
  constructor(dims: number, maxCategories = 4096, state?: DvfaState) {
    this.dims = state?.dims ?? dims;
    this.maxCategories = state?.maxCategories ?? maxCategories;
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
   * Presents an input and learns from it.
   *
   * @param input d values in [0, 1] (not complement coded; read, not kept).
   * @param rhoLb lower vigilance: below it the input founds a new cluster.
   * @param rhoUb upper vigilance: at or above it categories learn the input.
   */
  present(input: ArrayLike<number>, rhoLb: number, rhoUb: number): DvfaResult {
    this.clock++;
    let best = -1;
    let match = 0;
    let energy = 0;
    this.matches.length = this.weights.length;
    for (let j = 0; j < this.weights.length; j++) {
      const m = this.similarity(input, j);
      this.matches[j] = m;
      if (m > match || best < 0) {
        best = j;
        match = m;
        energy = this.energy;
      }
    }
    if (best >= 0 && match >= rhoUb) {
      for (let j = 0; j < this.weights.length; j++) if ((this.matches[j] as number) >= rhoUb) this.commit(input, j);
      return { match, energy, newCluster: false };
    }
    if (best >= 0) this.lastUsed[best] = this.clock;
    this.found(input);
    return { match, energy, newCluster: best < 0 || match < rhoLb };
  }

  /** Match M of `input` with category `j`; leaves its energy similarity E in `this.energy`. */
  private similarity(input: ArrayLike<number>, j: number): number {
    const d = this.dims;
    const w = this.weights[j] as Float64Array;
    let inter = 0;
    for (let k = 0; k < d; k++) {
      const x = input[k] as number;
      const lower = w[k] as number;
      const upper = w[k + d] as number;
      inter += Math.min(x, lower) + Math.min(1 - x, upper);
    }
    const last = input[d - 1] as number;
    const wLast = w[d - 1] as number;
    const wComp = w[2 * d - 1] as number;
    const eInter = Math.min(last, wLast) + Math.min(1 - last, wComp);
    const energy = eInter / Math.max(wLast + wComp, 1e-3);
    const features = inter / Math.max(this.norms[j] as number, 1e-3);
    this.energy = energy;
    return features * features * features * energy * energy;
  }

  /**
   * Maps input dimensions `from..dims-1` affinely (u -> a * u + b, with
   * a > 0) in every category, so categories follow a change of the scale
   * those dimensions were measured in.
   */
  rescale(from: number, a: number, b: number): void {
    const d = this.dims;
    for (const [j, w] of this.weights.entries()) {
      for (let k = from; k < d; k++) {
        w[k] = a * (w[k] as number) + b;
        w[k + d] = 1 - (a * (1 - (w[k + d] as number)) + b);
      }
      this.norms[j] = sum(w);
    }
  }

  private commit(input: ArrayLike<number>, j: number): void {
    const d = this.dims;
    const w = this.weights[j] as Float64Array;
    for (let k = 0; k < d; k++) {
      const x = input[k] as number;
      w[k] = Math.min(x, w[k] as number);
      w[k + d] = Math.min(1 - x, w[k + d] as number);
    }
    this.norms[j] = sum(w);
    this.lastUsed[j] = this.clock;
  }

  private found(input: ArrayLike<number>): void {
    const d = this.dims;
    const w = new Float64Array(2 * d);
    for (let k = 0; k < d; k++) {
      w[k] = input[k] as number;
      w[k + d] = 1 - (input[k] as number);
    }
    let slot = this.weights.length;
    if (slot >= this.maxCategories) {
      slot = 0;
      for (let j = 1; j < this.lastUsed.length; j++) if ((this.lastUsed[j] as number) < (this.lastUsed[slot] as number)) slot = j;
    }
    this.weights[slot] = w;
    this.norms[slot] = sum(w);
    this.lastUsed[slot] = this.clock;
  }

  /** A copy of the state, safe to JSON-serialize. */
  toJSON(): DvfaState {
    return {
      dims: this.dims,
      maxCategories: this.maxCategories,
      weights: this.weights.map((w) => Array.from(w)),
      lastUsed: [...this.lastUsed],
      clock: this.clock,
    };
  }
}

function sum(w: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < w.length; k++) s += w[k] as number;
  return s;
}
