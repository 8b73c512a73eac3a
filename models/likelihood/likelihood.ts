/**
 * Anomaly likelihood in the manner of HTM: a raw anomaly score is judged not
 * by its size but by how improbable its recent short-term average is under
 * the distribution of such averages over a long history. This turns raw
 * scores with file-specific scales into comparable probabilities.
 *
 * Laid out for a detector that keeps one per service (or per feature): both
 * rings live in one `Float64Array` with running sums, the history's mean of
 * squares is kept as a sum instead of a second ring, and an update allocates
 * nothing (its results are read from the instance).
 */

import type { RingState } from '../stats/index.ts';
import { normalTailDecades } from './gaussian-tail.ts';

/** Settings of an {@link AnomalyLikelihood}. */
export interface LikelihoodConfig {
  /** Rows in the short-term average of raw scores. Default 5. */
  shortWindow: number;
  /** Rows of history whose averages form the reference distribution. Default 2000. */
  historyWindow: number;
  /** History rows needed before a likelihood is reported (0 until then). Default 100. */
  minHistory: number;
  /** Floor of the reference standard deviation, in raw-score units. Default 0.05. */
  minStd: number;
  /** Tail probability of 10^-decades maps to score 1. Default 12. */
  decades: number;
}

/** Default likelihood settings. */
export const DEFAULT_LIKELIHOOD: LikelihoodConfig = { shortWindow: 5, historyWindow: 2000, minHistory: 100, minStd: 0.05, decades: 12 };

/**
 * Serializable state of an {@link AnomalyLikelihood}: the rings as laid out
 * and their running sums, so that a restored instance continues bit for bit.
 */
export interface LikelihoodState {
  config: LikelihoodConfig;
  /** `shortWindow` raw scores, then `historyWindow` averages, each a ring (unfilled places 0). */
  buffer: number[];
  /** Next place, filled places and running sum of the short ring. */
  short: [head: number, length: number, sum: number];
  /** Next place, filled places, running sum and running sum of squares of the history ring. */
  history: [head: number, length: number, sum: number, sumSq: number];
}

/** The state as saved before the rings shared one buffer: three rings of values, oldest first. */
export interface LegacyLikelihoodState {
  config: LikelihoodConfig;
  short: RingState;
  history: RingState;
  historySq: RingState;
}

/** Streaming anomaly likelihood over raw scores; see the module comment. */
export class AnomalyLikelihood {
  private readonly cfg: LikelihoodConfig;
  /** `shortWindow` raw scores, then `historyWindow` averages, each a ring. */
  private readonly buf: Float64Array;
  private shortHead = 0;
  private shortLen = 0;
  private shortSum = 0;
  private histHead = 0;
  private histLen = 0;
  private histSum = 0;
  private histSumSq = 0;
  /** 1 - tail probability of the last update's short-term average (0..1; 0 while the history is short). */
  likelihood = 0;
  /** -log10 tail probability of the last update divided by `decades`, in [0, 1]. */
  score = 0;
  /** Short-term average of the last update not yet in the history (NaN when none). */
  private lastAvg = Number.NaN;

  constructor(config: Partial<LikelihoodConfig> = {}, state?: LikelihoodState | LegacyLikelihoodState) {
    this.cfg = { ...DEFAULT_LIKELIHOOD, ...(state?.config ?? config) };
    this.buf = new Float64Array(this.cfg.shortWindow + this.cfg.historyWindow);
    if (state && 'historySq' in state) this.restoreLegacy(state);
    else if (state) {
      this.buf.set(state.buffer.slice(0, this.buf.length));
      [this.shortHead, this.shortLen, this.shortSum] = state.short;
      [this.histHead, this.histLen, this.histSum, this.histSumSq] = state.history;
    }
  }

  /** Fills the rings from a {@link LegacyLikelihoodState}, oldest value first. */
  private restoreLegacy(state: LegacyLikelihoodState): void {
    for (const x of state.short.values.slice(-this.cfg.shortWindow)) this.pushShort(x);
    for (const x of state.history.values.slice(-this.cfg.historyWindow)) this.pushHistory(x);
  }

  private pushShort(x: number): void {
    const size = this.cfg.shortWindow;
    if (this.shortLen === size) this.shortSum -= this.buf[this.shortHead] as number;
    else this.shortLen++;
    this.buf[this.shortHead] = x;
    this.shortSum += x;
    this.shortHead = (this.shortHead + 1) % size;
    if (this.shortHead === 0) this.shortSum = this.sum(0, size, false);
  }

  private pushHistory(x: number): void {
    const size = this.cfg.historyWindow;
    const at = this.cfg.shortWindow + this.histHead;
    if (this.histLen === size) {
      const old = this.buf[at] as number;
      this.histSum -= old;
      this.histSumSq -= old * old;
    } else this.histLen++;
    this.buf[at] = x;
    this.histSum += x;
    this.histSumSq += x * x;
    this.histHead = (this.histHead + 1) % size;
    // Re-sum once per lap so floating-point drift of the running sums stays bounded.
    if (this.histHead === 0) {
      this.histSum = this.sum(this.cfg.shortWindow, size, false);
      this.histSumSq = this.sum(this.cfg.shortWindow, size, true);
    }
  }

  private sum(from: number, n: number, squares: boolean): number {
    let s = 0;
    for (let i = from; i < from + n; i++) {
      const x = this.buf[i] as number;
      s += squares ? x * x : x;
    }
    return s;
  }

  /**
   * Scores one raw value (non-finite values count as 0) against the history
   * seen so far, then adds it to the history unless `learn` is false (a
   * caller that holds a reference, e.g. while an anomaly episode is open,
   * keeps the history as it was; {@link AnomalyLikelihood.learnLast} adds the
   * value later); sets `likelihood` and `score` and returns the score.
   */
  update(raw: number, learn = true): number {
    this.pushShort(Number.isFinite(raw) ? raw : 0);
    const avg = this.shortSum / this.shortLen;
    if (this.histLen < this.cfg.minHistory) {
      this.likelihood = 0;
      this.score = 0;
    } else {
      const mean = this.histSum / this.histLen;
      const variance = Math.max(this.histSumSq / this.histLen - mean * mean, 0);
      const std = Math.max(Math.sqrt(variance), this.cfg.minStd);
      const decades = normalTailDecades((avg - mean) / std);
      this.likelihood = 1 - 10 ** -decades;
      this.score = Math.min(decades / this.cfg.decades, 1);
    }
    if (learn) this.pushHistory(avg);
    this.lastAvg = learn ? Number.NaN : avg;
    return this.score;
  }

  /** Whether the history is long enough for a likelihood (`minHistory` rows); the next update reports one if so. */
  get ready(): boolean {
    return this.histLen >= this.cfg.minHistory;
  }

  /** Adds the short-term average of the last {@link AnomalyLikelihood.update} made with `learn` false to the history. */
  learnLast(): void {
    if (Number.isFinite(this.lastAvg)) this.pushHistory(this.lastAvg);
    this.lastAvg = Number.NaN;
  }

  /** A copy of the state, safe to JSON-serialize. */
  toJSON(): LikelihoodState {
    return {
      config: { ...this.cfg },
      buffer: Array.from(this.buf),
      short: [this.shortHead, this.shortLen, this.shortSum],
      history: [this.histHead, this.histLen, this.histSum, this.histSumSq],
    };
  }
}
