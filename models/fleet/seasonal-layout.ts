/**
 * The storage of a service's seasonal baselines (see seasonal-scorer.ts for
 * the model): one `Float64Array` for all features, the headers side by side
 * then the daily slots bucket by bucket, the weekly block of the weekly
 * feature, the per-feature scratch of the last scored window, restoring from
 * and writing to the checkpointed state, and the expectation of a feature at
 * a time (daily or weekly baseline, recent mean while a slot is unseen).
 */

import { type FeatureRule, ruleFor } from './feature-rules.ts';
import {
  BUCKETS,
  DAILY,
  DAILY_AT,
  DEFAULT_SEASONAL_SCORER,
  GROW,
  HEAD,
  type SeasonalScorerConfig,
  type SeasonalScorerState,
  STRIDE,
  WEEKLY,
} from './seasonal-config.ts';
import { TailCalibration } from './tail-calibration.ts';

/** Scratch of {@link SeasonalScorer.expectedOf}: the expected value and the spread of the last feature asked. */
const EXPECTED = new Float64Array(2);

/** The baselines of one service and their layout; extended by the learning and scoring layers. */
export class SeasonalBaselines {
  protected readonly names: string[];
  protected readonly rules: FeatureRule[];
  /** Live layout for `room` features: `room` headers of {@link HEAD} numbers, then per bucket `room` slots of 2. */
  protected data: Float64Array;
  protected room: number;
  protected weekly: Float64Array | undefined;
  /** See {@link SeasonalScorerState.weeklyFrom} (NaN: the weekly block has learned nothing yet). */
  protected weeklyFrom = Number.NaN;
  protected anomalousRun: number;
  protected readonly tails: TailCalibration;
  /** Per feature, the deviation the last scored window had (NaN: absent), for {@link SeasonalScorer.learnTail}. */
  protected lastDev: Float64Array;
  /** Whether some daily slot is provisional (see {@link SeasonalScorer.learnUnseen}). */
  protected provisional = false;
  /** Per feature, the deviation of the window that opened the current episode (see {@link SeasonalScorer.holdTail}). */
  protected held: Float64Array;
  /** Anomalous windows of the current episode so far; 0 when nothing is held. */
  protected heldRun: number;
  /** Per feature, its windows in a row kept out of the baseline as routine blips (see {@link SeasonalScorer.routineOnly}). */
  protected routineRun: Float64Array;
  /** Per feature, the expected value and spread of the last scored window (NaN: not in it, or warming up), for {@link SeasonalScorer.bands}. */
  protected band: Float64Array;

  constructor(
    protected readonly cfg: SeasonalScorerConfig = DEFAULT_SEASONAL_SCORER,
    state?: SeasonalScorerState,
  ) {
    this.names = [...(state?.features ?? [])].slice(0, cfg.maxFeatures);
    this.rules = this.names.map(ruleFor);
    this.room = Math.min(cfg.maxFeatures, this.names.length + GROW);
    this.data = new Float64Array(this.room * (HEAD + 2 * BUCKETS));
    const saved = state?.data ?? [];
    for (let i = 0; i < this.names.length; i++) {
      for (let k = 0; k < HEAD; k++) this.data[i * HEAD + k] = saved[i * STRIDE + k] ?? 0;
      for (let b = 0; b < BUCKETS; b++) {
        this.data[this.slotAt(i, b)] = saved[i * STRIDE + HEAD + 2 * b] ?? 0;
        this.data[this.slotAt(i, b) + 1] = saved[i * STRIDE + HEAD + 2 * b + 1] ?? 0;
      }
    }
    if (state?.weekly?.length === WEEKLY.blockSize) {
      this.weekly = Float64Array.from(state.weekly);
      this.weeklyFrom = state.weeklyFrom ?? Number.NaN;
    } else if (this.names.includes(cfg.weeklyFeature)) this.weekly = new Float64Array(WEEKLY.blockSize);
    this.anomalousRun = state?.anomalousRun ?? 0;
    this.tails = new TailCalibration(this.room, state?.tail);
    // The four per-feature arrays share one buffer (one allocation, adjacent in memory: a window touches all four).
    const buf = new Float64Array(5 * this.room);
    this.lastDev = buf.subarray(0, this.room).fill(Number.NaN);
    this.held = buf.subarray(this.room, 2 * this.room).fill(Number.NaN);
    if (state?.held) this.held.set(state.held.slice(0, this.room).map((v) => (v === null ? Number.NaN : v)));
    this.heldRun = state?.heldRun ?? 0;
    this.routineRun = buf.subarray(2 * this.room, 3 * this.room);
    this.band = buf.subarray(3 * this.room, 5 * this.room).fill(Number.NaN);
    if (state?.routineRun) this.routineRun.set(state.routineRun.slice(0, this.room));
    for (let k = this.room * HEAD + 1; k < this.data.length && !this.provisional; k += 2) this.provisional = (this.data[k] as number) < 0;
  }

  /** Index of `feature`, trying `hint` first (windows usually list their features in the same order). */
  protected indexOf(feature: string, hint: number): number {
    return this.names[hint] === feature ? hint : this.names.indexOf(feature);
  }

  /** Index in `data` of the daily slot of feature `i` for bucket `b`. */
  protected slotAt(i: number, b: number): number {
    return this.room * HEAD + 2 * (b * this.room + i);
  }

  protected add(feature: string): number {
    const i = this.names.length;
    if (i + 1 > this.room) {
      const old = this.data;
      const oldRoom = this.room;
      this.room = Math.min(this.cfg.maxFeatures, i + GROW);
      this.data = new Float64Array(this.room * (HEAD + 2 * BUCKETS));
      this.data.set(old.subarray(0, oldRoom * HEAD));
      for (let b = 0; b < BUCKETS; b++) {
        const from = oldRoom * HEAD + 2 * b * oldRoom;
        this.data.set(old.subarray(from, from + 2 * oldRoom), this.slotAt(0, b));
      }
    }
    if (this.lastDev.length < this.room) {
      this.tails.grow(this.room);
      const buf = new Float64Array(5 * this.room);
      const last = buf.subarray(0, this.room).fill(Number.NaN);
      last.set(this.lastDev);
      this.lastDev = last;
      const held = buf.subarray(this.room, 2 * this.room).fill(Number.NaN);
      held.set(this.held);
      this.held = held;
      const run = buf.subarray(2 * this.room, 3 * this.room);
      run.set(this.routineRun);
      this.routineRun = run;
      const band = buf.subarray(3 * this.room, 5 * this.room).fill(Number.NaN);
      band.set(this.band);
      this.band = band;
    }
    this.names.push(feature);
    this.rules.push(ruleFor(feature));
    if (feature === this.cfg.weeklyFeature) this.weekly ??= new Float64Array(WEEKLY.blockSize);
    return i;
  }

  /**
   * Learns `x` at `tMs` into the weekly block. Its residual scale counts only
   * from one week after its first row: before, a slot's expectation is the
   * mean of the rows of the same visit, whose residuals understate the error of
   * predicting a week ahead and would make the weekly baseline look better.
   */
  protected learnWeekly(week: Float64Array, tMs: number, x: number): void {
    if (!Number.isFinite(tMs)) return;
    if (Number.isNaN(this.weeklyFrom)) this.weeklyFrom = tMs + WEEKLY.cfg.periodMs;
    WEEKLY.learn(week, 0, tMs, x);
    if (tMs < this.weeklyFrom) WEEKLY.clearScale(week, 0);
  }

  /**
   * Expected value and spread of feature `i` (named `feature`) at the daily
   * slot starting at `slots` for time `tMs`, written into {@link EXPECTED}
   * (expected, spread): read them before the next call. A returned object
   * was one allocation and two boxed numbers per feature per window.
   */
  protected expectedOf(i: number, feature: string, slots: number, tMs: number): Float64Array {
    const data = this.data;
    const o = i * HEAD;
    const rule = this.rules[i] as FeatureRule;
    const d = DAILY.expectedAt(data, o + DAILY_AT, slots + 2 * i);
    let exp = Number.isFinite(d) ? d : (data[o] as number);
    let scale = DAILY.scale(data, o + DAILY_AT);
    const week = this.weekly && feature === this.cfg.weeklyFeature ? this.weekly : undefined;
    // The weekly baseline only where it predicts better: its residual scale (from its second week on) settled below the daily one.
    if (week && WEEKLY.scaleSettled(week, 0) && DAILY.scaleSettled(data, o + DAILY_AT) && WEEKLY.scale(week, 0) < scale) {
      const w = WEEKLY.expected(week, 0, tMs);
      if (Number.isFinite(w)) {
        exp = w;
        scale = WEEKLY.scale(week, 0);
      }
    }
    // The recent spread (of the raw values around their recent mean) stands in only until the daily residual scale has
    // settled: it counts the within-hour drift and the first rows of a rising excursion as spread, which hid slow
    // anomalies (issue 16: on NAB it set the spread of 6 of the 10 windows that never reached the opening level).
    const recent = DAILY.scaleSettled(data, o + DAILY_AT) ? 0 : Math.sqrt(data[o + 1] as number);
    const std = Math.max(1.25 * scale, recent, rule.absFloor, rule.relFloor * Math.abs(exp));
    EXPECTED[0] = exp;
    EXPECTED[1] = std;
    return EXPECTED;
  }

  protected levelOf(i: number): number {
    return DAILY.cfg.levelAlpha > 0 ? (this.data[i * HEAD + DAILY_AT] as number) : 0;
  }

  /** A copy of the state, safe to JSON-serialize. */
  toJSON(): SeasonalScorerState {
    const data: number[] = [];
    for (let i = 0; i < this.names.length; i++) {
      for (let k = 0; k < HEAD; k++) data.push(this.data[i * HEAD + k] as number);
      for (let b = 0; b < BUCKETS; b++) data.push(this.data[this.slotAt(i, b)] as number, this.data[this.slotAt(i, b) + 1] as number);
    }
    return {
      features: [...this.names],
      data,
      ...(this.weekly ? { weekly: Array.from(this.weekly) } : {}),
      ...(Number.isFinite(this.weeklyFrom) ? { weeklyFrom: this.weeklyFrom } : {}),
      anomalousRun: this.anomalousRun,
      tail: this.tails.toJSON(this.names.length),
      ...(this.heldRun > 0 ? { held: Array.from(this.held.subarray(0, this.names.length)), heldRun: this.heldRun } : {}),
      ...(this.routineRun.some((v) => v > 0) ? { routineRun: Array.from(this.routineRun.subarray(0, this.names.length)) } : {}),
    };
  }
}
