/**
 * Per-service, per-feature scoring against online baselines built from the
 * models/stats seasonal baseline: a daily seasonal baseline (hourly slots plus a level that
 * follows shifts), a weekly one for traffic (hour-of-week slots, see
 * {@link SeasonalScorerConfig.weeklyFeature}), and a recent exponentially
 * weighted mean that stands in while a slot is still unseen. The weekly
 * baseline predicts only once it predicts better than the daily one: its
 * residual scale, learned from its second week on (when each of its slots
 * predicts from an earlier week, not from the rows of the same visit), has
 * settled below the daily residual scale. Windows that score as anomalous are not learned, unless the
 * service stays anomalous for `adaptAfter` windows: then the new level is
 * accepted as normal (a level shift).
 *
 * All baselines of a service live in one `Float64Array` (see
 * models/stats/seasonal-baseline.ts), laid out for the memory a window touches: the
 * headers of all features side by side (recent mean, variance and count,
 * daily level and scale), then the daily slots bucket by bucket with the
 * features of a bucket side by side, so that a window reads a few
 * consecutive cache lines instead of a line or two per feature. The weekly
 * block of the weekly feature is a second array. Scoring and learning allocate
 * nothing per feature.
 */
import { factorOf } from '../calibration/index.ts';
import { SEASONAL_HEADER, SeasonalSlots } from '../stats/index.ts';
import { type BandArena, type ExpectedBands, WindowBands } from './expected-bands.ts';
import { type FeatureRows, singleRow } from './feature-rows.ts';
import type { Evidence, FeatureVector } from './outputs.ts';
import { POOL_REQUESTS, pooledShareDeviation, type ShareRun } from './share-run.ts';
import { TailCalibration } from './tail-calibration.ts';

/**
 * Which direction of a feature is bad and the smallest standard deviation
 * assumed (absolute, and relative to the mean). `request_rate` is bad only
 * downward: fewer requests than expected mean callers cannot reach the
 * service (or stopped calling it); more requests than expected are demand,
 * which matters once it hurts, and then its latency and error ratio show it.
 * A surge that scaling absorbed thus closes its episode while it lasts. The
 * volume of logs below warning follows demand the same way.
 */
export interface FeatureRule {
  direction: 'up' | 'down' | 'both';
  absFloor: number;
  relFloor: number;
  /**
   * The feature is a share of the window's requests (k failed of n): its
   * deviation counts the binomial noise of n requests beside the spread
   * (severity.ts, {@link countedShareDeviation}), so a window of a few
   * requests weighs as much as its count can show.
   */
  perRequest?: true;
}

const rules = new Map<string, FeatureRule>();

/** The rule of a feature name (cached: the returned object is shared and must not be changed). */
export function ruleFor(feature: string): FeatureRule {
  let r = rules.get(feature);
  if (!r) {
    r = Object.freeze(computeRule(feature));
    // Feature names are bounded per service but not across a fleet: keep the cache bounded too.
    if (rules.size < 4096) rules.set(feature, r);
  }
  return r;
}

function computeRule(feature: string): FeatureRule {
  if (feature === 'error_ratio') return { direction: 'up', absFloor: 0.02, relFloor: 0.2, perRequest: true };
  if (feature.startsWith('latency_')) return { direction: 'up', absFloor: 2, relFloor: 0.1 };
  if (feature === 'request_rate') return { direction: 'down', absFloor: 0.5, relFloor: 0.1 };
  // Warnings and errors are bad upward; the volume of other logs follows demand like the request rate.
  if (feature.startsWith('log_')) return { direction: /error|fatal|warn/.test(feature) ? 'up' : 'down', absFloor: 0.5, relFloor: 0.2 };
  return { direction: 'both', absFloor: 1e-6, relFloor: 0.1 };
}

/** Maps a deviation in standard deviations to [0, 1]: z50 -> 0.5, growing toward 1. */
export function deviationToScore(z: number, z50: number): number {
  if (!(z > 0)) return 0;
  if (z <= z50) return (0.5 * z) / z50;
  return 1 - 0.5 * Math.exp(-(z - z50) / z50);
}

/** The deviation that {@link deviationToScore} maps to `score` (its inverse; Infinity for a score of 1). */
export function scoreToDeviation(score: number, z50: number): number {
  if (!(score > 0)) return 0;
  if (score <= 0.5) return 2 * score * z50;
  return z50 - z50 * Math.log(2 * (1 - score));
}

/** Settings of the seasonal scorer. */
export interface SeasonalScorerConfig {
  /** Windows of history before a feature is scored. Default 5. */
  warmup: number;
  /** Deviation (in standard deviations) that maps to score 0.5. Default 3. */
  z50: number;
  /** Score at or above which a window is not learned. Default 0.7. */
  learnBelow: number;
  /** Consecutive anomalous windows after which they are learned anyway (level shift). Default 30. */
  adaptAfter: number;
  /** Features scored per service; later new features are ignored. Default 20. */
  maxFeatures: number;
  /**
   * The feature that also gets a weekly baseline (its traffic: weekdays and
   * weekends differ). Default `request_rate`; `zeroops detect` gives it to its
   * series (models/univariate/series-model.ts).
   */
  weeklyFeature: string;
}

/** Default seasonal scorer settings. */
export const DEFAULT_SEASONAL_SCORER: SeasonalScorerConfig = {
  warmup: 5,
  z50: 3,
  learnBelow: 0.7,
  adaptAfter: 30,
  maxFeatures: 20,
  weeklyFeature: 'request_rate',
};

const HOUR_MS = 3_600_000;
const DAILY = new SeasonalSlots({ periodMs: 24 * HOUR_MS, buckets: 24 });
// Hourly slots over the week: the daily baseline's hourly slots, one set per day of the week (two-hour slots lost the
// hourly shape wherever the weekly baseline replaced the daily one, issue 16).
const WEEKLY = new SeasonalSlots({ periodMs: 7 * 24 * HOUR_MS, buckets: 168 });
const RECENT_ALPHA = 0.1;
/**
 * Anomalous windows an episode may have and still count as a blip whose
 * opening deviation teaches the tail calibration (20 s of the default 10 s
 * windows); an episode with more is a fault (see {@link SeasonalScorer.releaseTail}).
 */
export const BLIP_WINDOWS = 2;
/** Numbers per feature in the checkpointed layout: recent mean, variance and count, then the daily block. */
const STRIDE = 3 + DAILY.blockSize;
const DAILY_AT = 3;
/** Numbers of a feature's header in the live layout: recent mean, variance and count, then the daily block's header. */
const HEAD = DAILY_AT + SEASONAL_HEADER;
const BUCKETS = DAILY.cfg.buckets;
/** Features of room added at a time (a service's array grows by this much, up to `maxFeatures`). */
const GROW = 4;

/** Serializable state of one service's {@link SeasonalScorer}. */
export interface SeasonalScorerState {
  /** Feature names, in order of first appearance (at most `maxFeatures`). */
  features: string[];
  /** Per feature (in `features` order) its recent mean, variance and count and its daily block (models/stats/seasonal-baseline.ts). */
  data: number[];
  /** Weekly block of the weekly feature, once that feature has been seen (an older two-hour layout is not restored). */
  weekly?: number[];
  /** Event time (ms) from which the weekly block's slots predict from an earlier week and its residual scale is learned. */
  weeklyFrom?: number;
  /** Consecutive windows not learned because they were anomalous. */
  anomalousRun: number;
  /** Per feature (in `features` order) the histogram of its past deviations (tail-calibration.ts); absent in older checkpoints. */
  tail?: number[];
  /** Deviations of the window that opened the current episode, held until it closes (see {@link SeasonalScorer.holdTail}). */
  held?: number[];
  /** Anomalous windows of the current episode so far (0: none held). */
  heldRun?: number;
  /** Per feature (in `features` order) its windows in a row kept out of the baseline as routine blips (absent: none). */
  routineRun?: number[];
}

/** Result of scoring one window. */
export interface FeatureScore {
  /** Highest feature score in [0, 1]. */
  score: number;
  /** Features scoring >= 0.5, strongest first. */
  evidence: Evidence[];
}

/** The surprise of a window's features (see {@link SeasonalScorer.surprise}). */
export interface Surprise {
  /** Sum over the scored features of the negative log of their tail frequency. */
  sum: number;
  /** Features scored. */
  count: number;
  /** The largest surprise of one feature. */
  max: number;
  /**
   * Features at risk of being the smallest p (`count` when absent): every
   * resource metric scored, and the symptom features in their tail (at least
   * a spread off in their bad direction), see service-combination.ts.
   */
  tail?: number;
}

/**
 * A surprise (negative natural log of a tail frequency) at or below which a
 * feature's history surely attests it: the rarest frequency a history attests
 * is at most one in `PRIOR_WINDOWS` (50) windows, a surprise of ln 50 = 3.912
 * or more (see {@link TailCalibration.logRarest}).
 */
const SURELY_ATTESTED = 3.9;

/** Scratch of {@link SeasonalScorer.expectedOf}: the expected value and the spread of the last feature asked. */
const EXPECTED = new Float64Array(2);

/** Half-life, in samples, of an exponential average that weighs a new sample `alpha`. */
const halfLifeOf = (alpha: number) => (alpha > 0 && alpha < 1 ? Math.log(0.5) / Math.log(1 - alpha) : 0);

/**
 * The parameters that shape the seasonal baselines (`cfg`, the slot layouts
 * and their averaging weights, with the half-lives those give), as plain
 * data: what the model registry versions (see baseline-params.ts).
 */
export function seasonalParameters(cfg: SeasonalScorerConfig = DEFAULT_SEASONAL_SCORER): Record<string, unknown> {
  const slots = (c: SeasonalSlots['cfg']) => ({
    ...c,
    halfLives: { bucket: halfLifeOf(c.bucketAlpha), level: halfLifeOf(c.levelAlpha), scale: halfLifeOf(c.scaleAlpha) },
  });
  return {
    scorer: { ...cfg },
    recentAlpha: RECENT_ALPHA,
    recentHalfLife: halfLifeOf(RECENT_ALPHA),
    // The rule of `expectedOf` (series-v12): a detector running the older rule runs other baselines.
    spread: 'max(1.25 x daily residual scale, floors; the recent spread only until the residual scale has averaged 1 / scaleAlpha residuals)',
    daily: slots(DAILY.cfg),
    weekly: { feature: cfg.weeklyFeature, rule: 'used once its residual scale from its second week on has settled below the daily one', ...slots(WEEKLY.cfg) },
  };
}

/** The seasonal scorer of one service; see the module comment. */
export class SeasonalScorer {
  private readonly names: string[];
  private readonly rules: FeatureRule[];
  /** Live layout for `room` features: `room` headers of {@link HEAD} numbers, then per bucket `room` slots of 2. */
  private data: Float64Array;
  private room: number;
  private weekly: Float64Array | undefined;
  /** See {@link SeasonalScorerState.weeklyFrom} (NaN: the weekly block has learned nothing yet). */
  private weeklyFrom = Number.NaN;
  private anomalousRun: number;
  private readonly tails: TailCalibration;
  /** Per feature, the deviation the last scored window had (NaN: absent), for {@link SeasonalScorer.learnTail}. */
  private lastDev: Float64Array;
  /** The last test {@link SeasonalScorer.hasFeature} was asked, over how many features, and its answer. */
  private featureTest: ((feature: string) => boolean) | undefined;
  private featureTested = 0;
  private featureFound = false;
  /** The last test {@link SeasonalScorer.surprise} was given, and per feature (bit i) whether it was asked and its answer. */
  private trustTest: ((feature: string) => boolean) | undefined;
  private trustKnown = 0;
  private trustBits = 0;
  /** Whether some daily slot is provisional (see {@link SeasonalScorer.learnUnseen}). */
  private provisional = false;
  /** Per feature, the deviation of the window that opened the current episode (see {@link SeasonalScorer.holdTail}). */
  private held: Float64Array;
  /** Anomalous windows of the current episode so far; 0 when nothing is held. */
  private heldRun: number;
  /** Per feature, its windows in a row kept out of the baseline as routine blips (see {@link SeasonalScorer.routineOnly}). */
  private routineRun: Float64Array;
  /** Per feature, the expected value and spread of the last scored window (NaN: not in it, or warming up), for {@link SeasonalScorer.bands}. */
  private band: Float64Array;

  constructor(
    private readonly cfg: SeasonalScorerConfig = DEFAULT_SEASONAL_SCORER,
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

  /** Whether any feature this scorer has learned passes `test` (e.g. whether the service has ever reported a symptom feature). */
  hasFeature(test: (feature: string) => boolean): boolean {
    // Asked every window with the same test: the answer only changes when a feature is added.
    if (test !== this.featureTest || this.names.length !== this.featureTested) {
      this.featureTest = test;
      this.featureTested = this.names.length;
      this.featureFound = this.names.some(test);
    }
    return this.featureFound;
  }

  /**
   * `test(name of feature i)`, remembered per feature (one bit each, for the
   * first 30) for as long as the same test is asked: the test is a pure
   * function of the name, asked for every feature of every window.
   */
  private trusts(test: (feature: string) => boolean, i: number): boolean {
    if (i >= 30) return test(this.names[i] as string);
    if (test !== this.trustTest) {
      this.trustTest = test;
      this.trustKnown = 0;
      this.trustBits = 0;
    }
    const bit = 1 << i;
    if ((this.trustKnown & bit) === 0) {
      this.trustKnown |= bit;
      if (test(this.names[i] as string)) this.trustBits |= bit;
    }
    return (this.trustBits & bit) !== 0;
  }

  /** Index of `feature`, trying `hint` first (windows usually list their features in the same order). */
  private indexOf(feature: string, hint: number): number {
    return this.names[hint] === feature ? hint : this.names.indexOf(feature);
  }

  /** Index in `data` of the daily slot of feature `i` for bucket `b`. */
  private slotAt(i: number, b: number): number {
    return this.room * HEAD + 2 * (b * this.room + i);
  }

  private add(feature: string): number {
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
  private learnWeekly(week: Float64Array, tMs: number, x: number): void {
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
  private expectedOf(i: number, feature: string, slots: number, tMs: number): Float64Array {
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

  /**
   * Scores `features` of the window ending at `tMs` without learning them.
   * Non-finite values are ignored. `spread` (a recalibration, see
   * models/calibration) widens or narrows the spread of each feature by its factor.
   * `requests` (the window's request count; NaN: unknown) weighs the
   * deviation of a share of requests ({@link FeatureRule.perRequest}),
   * pooled with the latest windows of `shareRun` (share-run.ts; read only).
   */
  score(features: FeatureVector, tMs: number, spread?: Readonly<Record<string, number>>, requests = Number.NaN, shareRun?: ShareRun): FeatureScore {
    const row = singleRow(features);
    return this.scoreRow(row, 0, tMs, spread, requests, shareRun);
  }

  /** {@link SeasonalScorer.score} of row `r` of `rows` (the window's features read once, see feature-rows.ts). */
  scoreRow(rows: FeatureRows, r: number, tMs: number, spread?: Readonly<Record<string, number>>, requests = Number.NaN, shareRun?: ShareRun): FeatureScore {
    let evidence: Evidence[] | undefined;
    const data = this.data;
    const slots = this.slotAt(0, DAILY.bucketOf(tMs));
    let best = 0;
    let hint = 0;
    // Only known features were ever written (a loop: cheaper than two fill calls for a few dozen numbers).
    const last = this.lastDev;
    const band = this.band;
    for (let i = 0; i < this.names.length; i++) {
      last[i] = Number.NaN;
      band[2 * i] = Number.NaN;
      band[2 * i + 1] = Number.NaN;
    }
    const names = rows.names;
    const values = rows.values;
    for (let k = rows.from(r), end = rows.to(r); k < end; k++) {
      const feature = names[k] as string;
      const x = values[k] as number;
      const i = this.indexOf(feature, hint++);
      if (i < 0 || (data[i * HEAD + 2] as number) < this.cfg.warmup) continue;
      const e = this.expectedOf(i, feature, slots, tMs);
      const exp = e[0] as number;
      const spreadOf = e[1] as number;
      band[2 * i] = exp;
      band[2 * i + 1] = spreadOf;
      if (!Number.isFinite(x)) continue;
      const rule = this.rules[i] as FeatureRule;
      const std = spread ? spreadOf * factorOf(spread, feature, x - exp) : spreadOf;
      let dev = (x - exp) / std;
      if (rule.perRequest && (dev > 0 || shareRun)) dev = pooledShareDeviation(shareRun, x, exp, std, requests);
      const q = rule.direction === 'up' ? dev : rule.direction === 'down' ? -dev : Math.abs(dev);
      last[i] = q;
      // Judged by how often this feature deviated that far before (tail-calibration.ts), never more than by the spread alone.
      const s = deviationToScore(q > 0 ? this.tails.calibrate(i, q) : q, this.cfg.z50);
      if (s > best) best = s;
      if (s < 0.5) continue;
      evidence ??= [];
      evidence.push({ feature, observed: x, expected: exp, deviation: dev });
    }
    if (!evidence) return { score: best, evidence: [] };
    if (evidence.length > 1) evidence.sort((p, q) => Math.abs(q.deviation) - Math.abs(p.deviation));
    return { score: best, evidence };
  }

  /**
   * What the baseline expects of each known feature of the window ending at
   * `tMs`: `[expected, lower, upper]`, the band being where a feature scores
   * below 0.5 (`z50` spreads on each side). Features still warming up are left out.
   */
  expectations(features: FeatureVector, tMs: number): Record<string, [number, number, number]> {
    const out: Record<string, [number, number, number]> = {};
    const data = this.data;
    const slots = this.slotAt(0, DAILY.bucketOf(tMs));
    let hint = 0;
    for (const feature in features) {
      const i = this.indexOf(feature, hint++);
      if (i < 0 || (data[i * HEAD + 2] as number) < this.cfg.warmup) continue;
      const e = this.expectedOf(i, feature, slots, tMs);
      const exp = e[0] as number;
      const std = e[1] as number;
      if (Number.isFinite(exp) && Number.isFinite(std)) out[feature] = [exp, exp - this.cfg.z50 * std, exp + this.cfg.z50 * std];
    }
    return out;
  }

  /**
   * The bands of the last scored window ({@link SeasonalScorer.score}), as
   * {@link SeasonalScorer.expectations} gives them for that window before it
   * is learned, in one array (see expected-bands.ts).
   */
  bands(arena: BandArena): ExpectedBands {
    const n = this.names.length;
    const values = arena.reserve(3 * n);
    const offset = arena.offset;
    const z = this.cfg.z50;
    const band = this.band;
    for (let i = 0; i < n; i++) {
      const exp = band[2 * i] as number;
      const std = band[2 * i + 1] as number;
      const ok = Number.isFinite(exp) && Number.isFinite(std);
      const o = offset + 3 * i;
      values[o] = ok ? exp : Number.NaN;
      values[o + 1] = ok ? exp - z * std : Number.NaN;
      values[o + 2] = ok ? exp + z * std : Number.NaN;
    }
    return new WindowBands(this.names, values, offset, n);
  }

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

  private levelOf(i: number): number {
    return DAILY.cfg.levelAlpha > 0 ? (this.data[i * HEAD + DAILY_AT] as number) : 0;
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
   * The surprise of each feature of the last scored window (the negative log
   * of how often that feature deviated at least as far before, see
   * {@link TailCalibration.logTail}), written into `out` (see
   * service-combination.ts): their sum over the features scored, each bounded
   * by what its history attests (up to the rarest frequency it can attest,
   * `TailCalibration.logRarest`, then by the log of the excess), their count,
   * and the largest, bounded the same way unless `trusted` says the feature's
   * spread extrapolates (symptom features).
   */
  surprise(out: Surprise, trusted: (feature: string) => boolean): Surprise {
    let sum = 0;
    let count = 0;
    let max = 0;
    let tail = 0;
    for (let i = 0; i < this.names.length; i++) {
      const q = this.lastDev[i] as number;
      // A feature exactly at its expectation (one that has been constant, like the traffic of a service that only
      // reports metrics) tells nothing either way: counting it would only dilute the others.
      if (Number.isNaN(q) || q === 0) continue;
      count++;
      const s = -this.tails.logTail(i, q);
      // Beyond the rarest the feature's history attests, the spread's extrapolation counts by the log of its excess.
      // That rarest is never above 1 in PRIOR_WINDOWS (the prior's weight), so a smaller surprise stands as it is
      // without computing it (a logarithm per feature per window saved).
      let bounded = s;
      if (s > SURELY_ATTESTED) {
        const cap = -this.tails.logRarest(i);
        bounded = s <= cap ? s : cap + Math.log1p(s - cap);
      }
      sum += bounded;
      const symptom = this.trusts(trusted, i);
      if (s > 0 || !symptom) tail++;
      const alone = symptom ? s : bounded;
      if (alone > max) max = alone;
    }
    out.sum = sum;
    out.count = count;
    out.max = max;
    out.tail = tail;
    return out;
  }

  /**
   * Evidence of the last scored window (`features`, ending at `tMs`) when no
   * feature deviated far enough to be evidence alone but several together
   * did (see service-combination.ts): the `n` features that deviated most in
   * their bad direction, at least one spread, strongest first.
   */
  jointEvidence(features: FeatureVector, tMs: number, n: number): Evidence[] {
    const out: Evidence[] = [];
    const picked: number[] = [];
    for (let k = 0; k < n; k++) {
      let best = -1;
      for (let i = 0; i < this.names.length; i++) {
        const q = this.lastDev[i] as number;
        if (q >= 1 && !picked.includes(i) && (best < 0 || q > (this.lastDev[best] as number))) best = i;
      }
      if (best < 0) break;
      picked.push(best);
      const feature = this.names[best] as string;
      const x = features[feature] as number;
      const e = this.expectedOf(best, feature, this.slotAt(0, DAILY.bucketOf(tMs)), tMs);
      const exp = e[0] as number;
      const std = e[1] as number;
      // A share of requests as it was scored (weighed by its count), which is in its bad direction (up).
      const dev = (this.rules[best] as FeatureRule).perRequest ? (this.lastDev[best] as number) : (x - exp) / std;
      out.push({ feature, observed: x, expected: exp, deviation: dev });
    }
    return out;
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
