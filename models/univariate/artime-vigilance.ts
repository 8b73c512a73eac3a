/**
 * Decision side of the ARTime-style detector (ideas from NAB's ARTime entry,
 * written anew): which new clusters count as anomalies (masking), how
 * confident each one is, and how the two vigilances of the
 * {@link DualVigilanceArt} follow the matches seen.
 *
 * Pure code; state is JSON.
 */
import { DualVigilanceArt } from './artime-dvfa.ts';

/** Fixed spans of a {@link VigilanceTracker}, in presentations. */
export interface VigilanceSpans {
  /** Presentations in the learning phase; the vigilances are re-set every half of it. */
  trend: number;
  /** Presentations masked after an anomaly. */
  mask: number;
  /** Cap of the upper vigilance. */
  maxUb: number;
}

/** Serializable state of a {@link VigilanceTracker}. */
export interface VigilanceState {
  spans: VigilanceSpans;
  rhoLb: number;
  rhoUb: number;
  matchSum: number;
  matchCount: number;
  /** The last `trend / 2 + 1` matches, oldest first. */
  sims: number[];
  /** `rhoUb - match` of the last `trend + 1` presentations, oldest first. */
  simDiffs: number[];
  lastAnomalyAt: number;
  lastAnomalySim: number;
  lastUpdateAt: number;
  maskAfterCluster: boolean;
  quietCount: number;
  /** Sum, count and last of the least match seen during each anomaly's mask. */
  anomalySimSum: number;
  anomalySimCount: number;
  anomalySimLast: number;
}

/** Masking, confidence and vigilance adaptation; see the module comment. */
export class VigilanceTracker {
  private readonly s: VigilanceState;

  /**
   * @param spans fixed spans (both vigilances start at 0 until {@link reset}).
   * @param state a state from {@link toJSON} to continue from (its spans win).
   */
  constructor(spans: VigilanceSpans, state?: VigilanceState) {
    this.s = state
      ? { ...state, spans: { ...state.spans }, sims: [...state.sims], simDiffs: [...state.simDiffs] }
      : {
          spans: { ...spans },
          rhoLb: 0,
          rhoUb: 0,
          matchSum: 0,
          matchCount: 0,
          sims: new Array<number>(Math.floor(spans.trend / 2) + 1).fill(1),
          simDiffs: new Array<number>(spans.trend + 1).fill(0),
          lastAnomalyAt: 0,
          lastAnomalySim: 0,
          lastUpdateAt: 0,
          maskAfterCluster: false,
          quietCount: 0,
          anomalySimSum: 0,
          anomalySimCount: 0,
          anomalySimLast: 0,
        };
  }

  /** Sets both vigilances to `rho`. */
  reset(rho: number): void {
    this.s.rhoLb = rho;
    this.s.rhoUb = rho;
  }

  /**
   * Presents feature vector `f` (the `i`-th presentation, 1-based) to `art`
   * and decides whether it is an anomaly. Presentations of the learning
   * phase (`i <= trend`) train and update the statistics but score 0.
   *
   * @returns the anomaly confidence in (0, 1], or 0.
   */
  detect(art: DualVigilanceArt, f: ArrayLike<number>, i: number): number {
    const s = this.s;
    const { trend, mask } = s.spans;
    const sinceAnomaly = i - s.lastAnomalyAt;
    const updateAfterAnomaly = sinceAnomaly === mask;
    const updateForTrend = i - s.lastUpdateAt >= Math.floor(trend / 2);
    const maskAfterAnomaly = sinceAnomaly <= mask;
    if (i > trend + mask && s.maskAfterCluster && s.quietCount >= mask) s.maskAfterCluster = false;
    const res = art.present(f, s.rhoLb, s.rhoUb);
    s.quietCount = res.newCluster ? 0 : s.quietCount + 1;
    s.matchSum += res.match;
    s.matchCount++;
    slide(s.sims, res.match);
    slide(s.simDiffs, s.rhoUb - res.match);
    if (sinceAnomaly < mask && s.anomalySimCount > 0 && res.match < s.anomalySimLast) {
      s.anomalySimSum += res.match - s.anomalySimLast;
      s.anomalySimLast = res.match;
    }
    const masking = s.maskAfterCluster || maskAfterAnomaly;
    const belowLast = res.match < s.lastAnomalySim * (maskAfterAnomaly ? 0.9 : 0.7);
    let score = 0;
    if (i > trend && res.newCluster && (!masking || belowLast)) {
      score = this.confidence(res.match, res.energy);
      s.anomalySimSum += res.match;
      s.anomalySimCount++;
      s.anomalySimLast = res.match;
      s.lastAnomalySim = res.match;
      s.lastAnomalyAt = i;
    }
    s.maskAfterCluster ||= res.newCluster;
    if (i > trend && (updateAfterAnomaly || updateForTrend)) this.adapt(i);
    return score;
  }

  /** How far the match fell below the vigilances, plus the energy deficit; in (0, 1]. */
  private confidence(match: number, energy: number): number {
    const m = Math.min(0.999, match);
    const ub = (this.s.rhoUb - m) / (1 - m);
    const lb = (this.s.rhoLb - m) / (1 - m);
    const c = Math.min(1, 0.35 * ub + 0.65 * lb + 1.5 * (1 - energy));
    return c > 0 ? c : 1e-6;
  }

  /**
   * Upper vigilance: the mean match so far (capped). Lower vigilance: rises a
   * fifth of the way to the least recent match when that is above it,
   * otherwise falls by half the typical recent shortfall below the upper
   * one, but not below the mean least match of past anomalies.
   */
  private adapt(i: number): void {
    const s = this.s;
    const minSim = Math.min(...s.sims);
    const ub = Math.min(s.spans.maxUb, s.matchSum / s.matchCount);
    let lb = s.rhoLb;
    if (lb <= minSim) lb += (minSim - lb) * 0.19;
    else {
      let decr = 0;
      if (i > 2 * s.spans.trend) {
        const short = s.simDiffs.filter((d) => d > 0.05).map((d) => Math.min(0.37, d));
        if (short.length > 0) decr = short.reduce((a, b) => a + b, 0) / short.length;
      }
      lb -= Math.max(0.01, decr) / 2;
      if (s.anomalySimCount > 0) lb = Math.max(s.anomalySimSum / s.anomalySimCount, lb);
    }
    s.rhoLb = Math.min(ub, lb);
    s.rhoUb = ub;
    s.lastUpdateAt = i;
    s.maskAfterCluster = true;
  }

  /** A copy of the state, safe to JSON-serialize. */
  toJSON(): VigilanceState {
    return { ...this.s, spans: { ...this.s.spans }, sims: [...this.s.sims], simDiffs: [...this.s.simDiffs] };
  }
}

/**
 * Initial vigilance from the learning-phase features: order them from the
 * least to the most typical (sum of cosine similarities to the others),
 * train a trial network at `rho0` in that order and return the mean match
 * over the later, most typical half.
 */
export function initialVigilance(feats: readonly Float64Array[], rho0: number): number {
  const n = feats.length;
  if (n === 0) return rho0;
  const sums = new Array<number>(n).fill(1);
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < a; b++) {
      const c = cosine(feats[a] as Float64Array, feats[b] as Float64Array);
      sums[a] = (sums[a] as number) + c;
      sums[b] = (sums[b] as number) + c;
    }
  }
  const order = sums.map((v, k) => [v, k] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const trial = new DualVigilanceArt((feats[0] as Float64Array).length);
  let total = 0;
  let count = 0;
  for (const [pos, [, k]] of order.entries()) {
    const { match } = trial.present(feats[k] as Float64Array, rho0, rho0);
    if (pos >= Math.floor(n / 2)) {
      total += match;
      count++;
    }
  }
  return count > 0 ? total / count : rho0;
}

function cosine(a: Float64Array, b: Float64Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let k = 0; k < a.length; k++) {
    ab += (a[k] as number) * (b[k] as number);
    aa += (a[k] as number) ** 2;
    bb += (b[k] as number) ** 2;
  }
  const na = Math.sqrt(aa);
  const nb = Math.sqrt(bb);
  if (na === 0) return 1 - nb;
  if (nb === 0) return 1 - na;
  return ab / (na * nb);
}

function slide(xs: number[], x: number): void {
  xs.shift();
  xs.push(x);
}
