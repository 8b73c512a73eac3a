/**
 * What a service's seasonal baselines learn from a window (see
 * seasonal-scorer.ts): the normal windows into the recent mean, the daily
 * and weekly slots, with the exceptions that keep a fault, a surge or a
 * routine blip out of them; the provisional slots of a time of day first met
 * inside an episode; and the history of deviations the tail calibration
 * judges by.
 */

import { type FeatureRows, singleRow } from './feature-rows.ts';
import { deviationToScore, type FeatureRule } from './feature-rules.ts';
import type { FeatureVector } from './outputs.ts';
import { BLIP_WINDOWS, DAILY, DAILY_AT, HEAD, RECENT_ALPHA } from './seasonal-config.ts';
import { SeasonalBaselines } from './seasonal-layout.ts';
import { POOL_REQUESTS } from './share-run.ts';

/** The learning layer of the seasonal scorer of one service. */
export class SeasonalLearner extends SeasonalBaselines {
  /**
   * Learns the window unless `score` (the service's combined score of it)
   * says it was anomalous, for at most `adaptAfter` windows in a row.
   */
  learn(features: FeatureVector, tMs: number, score: number, requests = Number.NaN): void {
    this.learnRow(singleRow(features), 0, tMs, score, requests);
  }

  /**
   * {@link SeasonalScorer.learn} of row `r` of `rows` (see feature-rows.ts).
   * A share of requests ({@link FeatureRule.perRequest}) of a window of fewer
   * than {@link POOL_REQUESTS} `requests` teaches only that part of its
   * distance from the expectation (share-run.ts: 1 failed of 2 requests is
   * mostly the noise of 2 requests; learned whole, it widened a clean error
   * ratio's spread to 0.16 at once and a sustained fault became the normal).
   */
  learnRow(rows: FeatureRows, r: number, tMs: number, score: number, requests = Number.NaN): void {
    if (score >= this.cfg.learnBelow && this.anomalousRun < this.cfg.adaptAfter) {
      this.anomalousRun++;
      return;
    }
    // A window learned as normal (not as a level shift being accepted) may still hold a feature that is only normal
    // because its tail calibration made that deviation routine (see routineOnly).
    const normal = score < this.cfg.learnBelow;
    this.anomalousRun = normal ? 0 : this.anomalousRun;
    this.confirm();
    // A window without a usable time still teaches the recent mean, not the seasonal slots.
    const day = Number.isFinite(tMs) ? DAILY.bucketOf(tMs) : -1;
    let hint = 0;
    const names = rows.names;
    const values = rows.values;
    for (let k = rows.from(r), end = rows.to(r); k < end; k++) {
      const feature = names[k] as string;
      let x = values[k] as number;
      let i = this.indexOf(feature, hint++);
      if (!Number.isFinite(x)) continue;
      if (i < 0) {
        if (this.names.length >= this.cfg.maxFeatures) continue;
        i = this.add(feature);
      }
      if (requests < POOL_REQUESTS && (this.rules[i] as FeatureRule).perRequest) x = this.shrunkShare(i, feature, x, day, tMs, requests);
      if (this.aboveDemand(i, feature, x, day, tMs) || (normal && this.routineOnly(i, feature, day, tMs))) continue;
      const data = this.data;
      const o = i * HEAD;
      if (day >= 0) DAILY.learnAt(data, o + DAILY_AT, this.slotAt(i, day), x);
      if (this.weekly && feature === this.cfg.weeklyFeature) this.learnWeekly(this.weekly, tMs, x);
      const count = (data[o + 2] as number) + 1;
      data[o + 2] = count;
      const a = Math.max(RECENT_ALPHA, 1 / count);
      const dx = x - (data[o] as number);
      data[o] = (data[o] as number) + a * dx;
      data[o + 1] = (1 - a) * ((data[o + 1] as number) + a * dx * dx);
    }
  }

  /**
   * Learns, of a window that {@link SeasonalScorer.learn} must not learn (it
   * is inside an open episode), each known feature whose daily slot for
   * `tMs` has never been seen, into that slot, provisionally: the slot (its
   * count negative) is not used for scoring until {@link SeasonalScorer.confirm}
   * (the episode closed), so the episode goes on being judged against the
   * pre-fault reference. Such a feature has no expectation for this time of
   * day: without this, a daily phase first met after the warm-up (the daytime
   * level of a service started at night) opens an episode that keeps itself
   * from ever learning that phase, every day. The recent mean, level, spread
   * and tail stay as they were before the episode.
   */
  learnUnseen(features: FeatureVector, tMs: number): void {
    this.learnUnseenRow(singleRow(features), 0, tMs);
  }

  /** {@link SeasonalScorer.learnUnseen} of row `r` of `rows` (see feature-rows.ts). */
  learnUnseenRow(rows: FeatureRows, r: number, tMs: number): void {
    if (!Number.isFinite(tMs)) return;
    const day = DAILY.bucketOf(tMs);
    let hint = 0;
    const names = rows.names;
    const values = rows.values;
    for (let k = rows.from(r), end = rows.to(r); k < end; k++) {
      const feature = names[k] as string;
      const x = values[k] as number;
      const i = this.indexOf(feature, hint++);
      if (i < 0 || !Number.isFinite(x)) continue;
      const slot = this.slotAt(i, day);
      const n = -(this.data[slot + 1] as number);
      if (n < 0) continue;
      // The plain mean of the episode's values at this time of day (the level is the pre-episode one).
      this.data[slot] = n === 0 ? x - this.levelOf(i) : (this.data[slot] as number) + (x - this.levelOf(i) - (this.data[slot] as number)) / (n + 1);
      this.data[slot + 1] = -(n + 1);
      this.provisional = true;
    }
  }

  /**
   * Makes the provisional slots (see {@link SeasonalScorer.learnUnseen})
   * count as seen once, with the weight of one window, so that the days after
   * correct them quickly if the episode was a fault after all.
   */
  confirm(): void {
    if (!this.provisional) return;
    this.provisional = false;
    for (let k = this.room * HEAD + 1; k < this.data.length; k += 2) if ((this.data[k] as number) < 0) this.data[k] = 1;
  }

  /**
   * Learns a window of the past as normal (one people labelled a false
   * alarm, held out while its episode was open): into the seasonal slot of
   * its time and the spread, but not into the recent mean or the level,
   * which describe the present. Only features already known are learned.
   */
  learnPast(features: FeatureVector, tMs: number): void {
    if (!Number.isFinite(tMs)) return;
    this.confirm();
    const day = DAILY.bucketOf(tMs);
    for (const feature in features) {
      const i = this.names.indexOf(feature);
      const x = features[feature] as number;
      if (i < 0 || !Number.isFinite(x)) continue;
      DAILY.learnPastAt(this.data, i * HEAD + DAILY_AT, this.slotAt(i, day), x);
    }
  }
  /**
   * Adds the deviations of the last scored window to each feature's history
   * of deviations (the caller leaves out the windows of an ongoing episode).
   */
  learnTail(): void {
    for (let i = 0; i < this.names.length; i++) {
      const q = this.lastDev[i] as number;
      if (Number.isFinite(q)) this.tails.learn(i, q > 0 ? q : 0);
    }
    this.tails.tick();
  }

  /**
   * Holds the deviations of the last scored window, the one that opened an
   * episode, instead of learning them: they join the tail history only if
   * the episode turns out a blip ({@link SeasonalScorer.releaseTail}).
   */
  holdTail(): void {
    this.held.set(this.lastDev);
    this.heldRun = 1;
  }

  /** Counts one more anomalous window (score at or above the opening level) of the held episode. */
  noteAnomalous(): void {
    if (this.heldRun === 0) return;
    // Past a blip's length the episode is a fault: nothing of it will teach the tail.
    if (++this.heldRun > BLIP_WINDOWS) this.releaseTail();
  }

  /**
   * At the close of an episode: if it was a blip (at most {@link BLIP_WINDOWS}
   * anomalous windows, the opening one included), the opening window's deviations join the
   * tail history, so that blips recurring more often than a 3-spread
   * excursion become routine (a spike train, a bursty count). An episode
   * that lasted longer was a fault: it never teaches the tail, so a fault
   * that keeps coming back opens an episode every time.
   */
  releaseTail(): void {
    if (this.heldRun >= 1 && this.heldRun <= BLIP_WINDOWS) {
      for (let i = 0; i < this.names.length; i++) {
        const q = this.held[i] as number;
        if (Number.isFinite(q)) this.tails.learn(i, q > 0 ? q : 0);
      }
    }
    this.heldRun = 0;
    this.held.fill(Number.NaN);
  }

  /**
   * Whether feature `i` of the last scored window is a routine blip to keep
   * out of its baseline: it deviated, by the spread alone, at least as far as
   * a window that is not learned (a raw score of
   * {@link SeasonalScorerConfig.learnBelow} or more) and is normal only
   * because its tail calibration has seen such deviations recur (a blip made
   * routine, see {@link SeasonalScorer.releaseTail}), for at most
   * {@link BLIP_WINDOWS} windows in a row. Such a value teaches the tail,
   * never the feature's mean or spread: learned there, blips would widen the
   * spread many times over while the tail history still holds their
   * deviations measured against the narrower one, so that a fault far larger
   * than any blip would be judged as small as a blip (a x10 latency fault on
   * a latency that blips x2 to x4 opened no episode). Kept out, the spread
   * and the tail keep measuring in the same units. A feature that stays that
   * far out longer than a blip has moved (a new level): it is learned as usual.
   */
  private routineOnly(i: number, feature: string, day: number, tMs: number): boolean {
    const q = this.lastDev[i] as number;
    // Normal because its own tail history made it routine, not merely because the service's combination bounded it
    // (a resource metric beyond what its history attests, service-combination.ts): a value far beyond even its tail
    // history is learned as usual, so that the spread of a metric whose floor is near 0 (a sparse count) cannot
    // shrink under its own spikes until each new one is a record.
    if (!(q > 0 && this.far(q) && !this.far(this.tails.calibrate(i, q)) && this.atFloor(i, feature, day, tMs))) {
      this.routineRun[i] = 0;
      return false;
    }
    const run = (this.routineRun[i] as number) + 1;
    this.routineRun[i] = run;
    return run <= BLIP_WINDOWS;
  }

  /** A share `x` of `requests` (< {@link POOL_REQUESTS}) requests, moved toward its expectation in proportion to how far that count falls short. */
  private shrunkShare(i: number, feature: string, x: number, day: number, tMs: number, requests: number): number {
    if (day < 0 || (this.data[i * HEAD + 2] as number) < this.cfg.warmup) return x;
    const exp = this.expectedOf(i, feature, this.slotAt(0, day), tMs)[0] as number;
    return Number.isFinite(exp) ? exp + ((x - exp) * Math.max(0, requests)) / POOL_REQUESTS : x;
  }

  /** Whether a deviation of `z` spreads scores at least {@link SeasonalScorerConfig.learnBelow} (a method: no closure per learned feature). */
  private far(z: number): boolean {
    return deviationToScore(z, this.cfg.z50) >= this.cfg.learnBelow;
  }

  /**
   * Whether feature `i`'s spread at `tMs` (daily bucket `day`) stands at its
   * floor (see {@link FeatureRule}): then the floor, not the data, sets the
   * units its deviations and their tail history are measured in, and keeping
   * a routine blip out of the baseline keeps them put. A spread above its
   * floor is the feature's own variability (a sparse count whose floor is
   * near 0 varies by its spikes): keeping its blips out would shrink it under
   * them until every new one is a record far beyond the tail history.
   */
  private atFloor(i: number, feature: string, day: number, tMs: number): boolean {
    if (day < 0) return false;
    const rule = this.rules[i] as FeatureRule;
    const e = this.expectedOf(i, feature, this.slotAt(0, day), tMs);
    const exp = e[0] as number;
    const std = e[1] as number;
    return std <= Math.max(rule.absFloor, rule.relFloor * Math.abs(exp));
  }

  /**
   * Whether `x` of a feature bad only downward (demand) is above its normal
   * band ({@link SeasonalScorerConfig.z50} spreads above expectation): such a
   * window is not learned for that feature. A surge neither alarms nor moves
   * the baseline, so the return to the usual demand is not a drop; growth
   * within the band (the daily rhythm, a gradual trend) is learned as usual.
   */
  private aboveDemand(i: number, feature: string, x: number, day: number, tMs: number): boolean {
    if ((this.rules[i] as FeatureRule).direction !== 'down' || day < 0 || (this.data[i * HEAD + 2] as number) < this.cfg.warmup) return false;
    const e = this.expectedOf(i, feature, this.slotAt(0, day), tMs);
    const exp = e[0] as number;
    const std = e[1] as number;
    return x > exp + this.cfg.z50 * std;
  }
}
