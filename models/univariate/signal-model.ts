/**
 * The per-signal model: one (timestamp, value) in, one anomaly score in
 * [0, 1] out, using only the rows before it (no look-ahead; it never reads a
 * series' minimum, maximum or length, only the past `window` rows).
 *
 * Three surprises, each a plain statistic of the new value against the past:
 * - residual: distance from a robust online forecast (a time-of-day seasonal
 *   baseline with a tracked level, or the recent median) in units of the
 *   forecast's usual error;
 * - novelty: how far the value leaves the extremes of the recent past, in
 *   units of the forecast's noise (a value inside that range scores 0);
 * - level shift: the median of the last few signed residuals (a sustained
 *   departure from the forecast, a plateau or a missing cycle, not a burst).
 * Each surprise goes through its own anomaly likelihood (HTM-style: the tail
 * probability of its short-term average under the distribution of its own
 * history), so series of any scale and noise share one false-alarm rate.
 * The row's score is the largest of the three likelihood scores (decades of
 * tail probability / `scaleDecades`). A row alarms when its score reaches the
 * false-alarm rate (`alarmDecades`); an alarm is reported with its score and
 * starts a hold of `holdRows` rows during which nothing else is reported (one
 * page per incident); every other row emits 0.
 *
 * The state is a few small rings and numbers (see {@link SignalState}); a
 * caller tracking many features keeps one model per feature.
 */
import { AnomalyLikelihood } from '../likelihood/index.ts';
import { RingBuffer, RollingQuantile, SeasonalBaseline } from '../stats/index.ts';
import { EvtTail } from './evt-tail.ts';
import { mergeSignalConfig, type SignalConfig, type SignalState } from './signal-config.ts';

/** Names of the mechanisms, in the order of {@link SignalModel.surprises} and of the state's likelihoods. */
export const SIGNAL_MECHANISMS = ['residual', 'novelty', 'shift'] as const;

/** Rows of the recent past needed before a surprise is computed. */
const MIN_PAST = 16;
/** Rows of the time scale of the forecast's error scale. */
const SCALE_ROWS = 100;
/** Errors beyond this many usual errors count as this many when the scale learns them. */
const SCALE_CLIP = 3;

/** What one update saw; read from {@link SignalModel.last} after {@link SignalModel.update}. */
export interface SignalVerdict {
  /** Largest likelihood score of the row, in [0, 1] (before the hold). */
  score: number;
  /** Index into {@link SIGNAL_MECHANISMS} of the mechanism that gave `score`. */
  mechanism: number;
  /** Whether the row was reported as an alarm. */
  alarm: boolean;
}

/** Streaming per-signal anomaly model; see the module comment. */
export class SignalModel {
  /** The settings (defaults filled in). */
  readonly cfg: SignalConfig;
  /** The last row's verdict. */
  readonly last: SignalVerdict = { score: 0, mechanism: 0, alarm: false };
  private readonly past: RollingQuantile;
  private readonly seasonal: SeasonalBaseline | undefined;
  private readonly likelihoods: AnomalyLikelihood[];
  private readonly tails: EvtTail[];
  private readonly shift: RingBuffer | undefined;
  private readonly alarmLevel: number;
  private readonly raws = [0, 0, 0];
  private hold: number;
  private scale: number;
  private scaleRows: number;
  private rows: number;

  /** `state` (from {@link SignalModel.toJSON}) wins over `config`. */
  constructor(config: Partial<SignalConfig> = {}, state?: SignalState) {
    const cfg = mergeSignalConfig(state?.config ?? config);
    this.cfg = cfg;
    this.past = new RollingQuantile(cfg.window, state?.window);
    this.seasonal = cfg.forecast === 'seasonal' ? new SeasonalBaseline(cfg.seasonal, state?.seasonal) : undefined;
    const lcfg = {
      shortWindow: cfg.likelihoodShort,
      historyWindow: cfg.likelihoodHistory,
      minHistory: 2 * MIN_PAST,
      minStd: cfg.minSpread,
      decades: cfg.scaleDecades,
    };
    const gaussian = cfg.tail === 'gaussian';
    this.likelihoods = gaussian ? SIGNAL_MECHANISMS.map((_, k) => new AnomalyLikelihood(lcfg, state?.likelihoods?.[k])) : [];
    this.tails = gaussian ? [] : SIGNAL_MECHANISMS.map((_, k) => new EvtTail(cfg.likelihoodHistory, cfg.tailShare, 2 * MIN_PAST, state?.tails?.[k]));
    this.shift = cfg.shiftRows > 0 ? new RingBuffer(Math.max(2, cfg.shiftRows), state?.shift) : undefined;
    this.alarmLevel = cfg.alarmDecades / cfg.scaleDecades;
    this.hold = state?.hold ?? 0;
    this.scale = state?.scale?.[0] ?? 0;
    this.scaleRows = state?.scale?.[1] ?? 0;
    this.rows = state?.rows ?? 0;
  }

  /**
   * Scores one row, then learns it. Non-finite inputs score 0 and leave the
   * state unchanged.
   *
   * @returns the alarm's score in (0, 1] on a reported alarm row, else 0.
   */
  update(timestampMs: number, value: number): number {
    this.last.score = 0;
    this.last.mechanism = 0;
    this.last.alarm = false;
    if (!Number.isFinite(value) || !Number.isFinite(timestampMs)) return 0;
    this.rows++;
    const ready = this.past.length >= MIN_PAST;
    if (ready) this.surprises(timestampMs, value);
    this.past.push(value);
    this.seasonal?.learn(timestampMs, value);
    if (!ready) return 0;
    for (let k = 0; k < SIGNAL_MECHANISMS.length; k++) {
      if (k === 1 && !this.cfg.novelty) continue;
      if (k === 2 && this.shift === undefined) continue;
      const s = this.judge(k);
      if (s > this.last.score) {
        this.last.score = s;
        this.last.mechanism = k;
      }
    }
    if (this.hold > 0) {
      this.hold--;
      return 0;
    }
    if (this.last.score < this.alarmLevel) return 0;
    this.last.alarm = true;
    this.hold = Math.max(this.cfg.holdRows, Math.round(this.cfg.holdShare * this.rows));
    return this.last.score;
  }

  /**
   * The forecast's usual absolute error, learned with the error clipped at
   * {@link SCALE_CLIP} times the current scale: an ongoing fault widens the
   * scale only slowly, so it is not learned as normal within hours.
   */
  private learnScale(err: number): void {
    this.scaleRows++;
    const clipped = this.scaleRows > MIN_PAST ? Math.min(err, SCALE_CLIP * this.scale) : err;
    this.scale += Math.max(1 / SCALE_ROWS, 1 / this.scaleRows) * (clipped - this.scale);
  }

  /** Likelihood score in [0, 1] of mechanism `k`'s surprise of this row, then learns it. */
  private judge(k: number): number {
    const raw = this.raws[k] as number;
    const l = this.likelihoods[k];
    if (l !== undefined) return l.update(raw);
    const tail = this.tails[k] as EvtTail;
    const decades = tail.decades(raw);
    tail.push(raw);
    return Math.min(decades / this.cfg.scaleDecades, 1);
  }

  /** Fills {@link SignalModel.raws} for `x` against the past (not yet including `x`), in log1p units. */
  private surprises(t: number, x: number): void {
    const p = this.past;
    const lo = p.quantile(0);
    const hi = p.quantile(1);
    const median = p.quantile(0.5);
    const iqrSigma = (p.quantile(0.75) - p.quantile(0.25)) / 1.349;
    // The floor keeps the scale positive for series that are often constant
    // (counts of rare events): a hundredth of the recent range.
    const floor = Math.max((hi - lo) / 100, 1e-9);
    let residual: number;
    let noise: number;
    const season = this.seasonal?.expect(t);
    if (season !== undefined && Number.isFinite(season.expected)) {
      const err = Math.abs(x - season.expected);
      noise = Math.max(1.25 * this.scale, floor);
      residual = err / noise;
      this.learnScale(err);
    } else {
      noise = Math.max(iqrSigma, floor);
      residual = Math.abs(x - median) / noise;
    }
    this.raws[0] = Math.log1p(residual);
    // Novelty in units of the noise: a new extreme by a fraction of the noise is what a stationary series does now and then.
    this.raws[1] = Math.log1p(Math.max(x - hi, lo - x, 0) / Math.max(noise, floor));
    if (this.shift !== undefined) {
      // The signed residual's median over the last rows: a sustained departure from the forecast, which a lone spike cannot make.
      const signed = season !== undefined && Number.isFinite(season.expected) ? (x - season.expected) / noise : (x - median) / noise;
      this.shift.push(signed);
      this.raws[2] = this.shift.length < this.shift.size ? 0 : Math.log1p(Math.abs(medianOf(this.shift.values())));
    }
  }

  /** A copy of the state, safe to JSON-serialize. */
  toJSON(): SignalState {
    return {
      config: structuredClone(this.cfg),
      window: this.past.toJSON(),
      ...(this.seasonal ? { seasonal: this.seasonal.toJSON() } : {}),
      ...(this.likelihoods.length > 0 ? { likelihoods: this.likelihoods.map((l) => l.toJSON()) } : {}),
      ...(this.tails.length > 0 ? { tails: this.tails.map((t) => t.toJSON()) } : {}),
      ...(this.shift ? { shift: this.shift.toJSON() } : {}),
      hold: this.hold,
      scale: [this.scale, this.scaleRows],
      rows: this.rows,
    };
  }
}

/** Median of a small array (sorted in place). */
function medianOf(v: number[]): number {
  v.sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

/** Scores a whole series with a fresh model (a convenience for batch callers and tests). */
export function scoreSeries(times: readonly number[], values: readonly number[], config: Partial<SignalConfig> = {}): number[] {
  const m = new SignalModel(config);
  return values.map((v, i) => m.update(times[i] as number, v));
}
