/**
 * Anomaly likelihood in the manner of HTM: a raw anomaly score is judged not
 * by its size but by how improbable its recent short-term average is under
 * the distribution of such averages over a long history. This turns raw
 * scores with file-specific scales into comparable probabilities.
 */
import { normalTailDecades } from './gaussian-tail.ts';
import { RingBuffer, type RingState } from './online-stats.ts';

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

/** Serializable state of an {@link AnomalyLikelihood}. */
export interface LikelihoodState {
  config: LikelihoodConfig;
  short: RingState;
  history: RingState;
  historySq: RingState;
}

/** Result of one likelihood update. */
export interface LikelihoodResult {
  /** 1 - tail probability of the short-term average (0..1). */
  likelihood: number;
  /** -log10 tail probability divided by `decades`, clamped to [0, 1]. */
  score: number;
}

/** Streaming anomaly likelihood over raw scores. */
export class AnomalyLikelihood {
  private readonly cfg: LikelihoodConfig;
  private readonly short: RingBuffer;
  private readonly history: RingBuffer;
  private readonly historySq: RingBuffer;

  constructor(config: Partial<LikelihoodConfig> = {}, state?: LikelihoodState) {
    this.cfg = { ...DEFAULT_LIKELIHOOD, ...(state?.config ?? config) };
    this.short = new RingBuffer(this.cfg.shortWindow, state?.short);
    this.history = new RingBuffer(this.cfg.historyWindow, state?.history);
    this.historySq = new RingBuffer(this.cfg.historyWindow, state?.historySq);
  }

  /**
   * Scores one raw value (non-finite values count as 0) against the history
   * seen so far, then adds it to the history.
   */
  update(raw: number): LikelihoodResult {
    this.short.push(Number.isFinite(raw) ? raw : 0);
    const avg = this.short.mean;
    const result = this.judge(avg);
    this.history.push(avg);
    this.historySq.push(avg * avg);
    return result;
  }

  private judge(avg: number): LikelihoodResult {
    if (this.history.length < this.cfg.minHistory) return { likelihood: 0, score: 0 };
    const mean = this.history.mean;
    const variance = Math.max(this.historySq.mean - mean * mean, 0);
    const std = Math.max(Math.sqrt(variance), this.cfg.minStd);
    const decades = normalTailDecades((avg - mean) / std);
    return { likelihood: 1 - 10 ** -decades, score: Math.min(decades / this.cfg.decades, 1) };
  }

  /** A copy of the state, safe to JSON-serialize. */
  toJSON(): LikelihoodState {
    return { config: { ...this.cfg }, short: this.short.toJSON(), history: this.history.toJSON(), historySq: this.historySq.toJSON() };
  }
}
