/**
 * The per-signal model of `zeroops detect`: one series run through the live
 * detector's own per-service models (models/fleet `ServiceModels`, without
 * the multivariate neural model) as a service with a single gauge feature,
 * {@link SERIES_FEATURE}. Each row is one closed window: it is scored by the
 * seasonal baseline of that feature judged by its tail calibration (the
 * live per-feature score), then the episode advances exactly as it does for
 * a live service (open at 0.5, hold above 0.3, never learn the windows of
 * an open episode until it has lasted a day, warm-up of 30 windows). So
 * `zeroops detect`, the NAB benchmark and the live detector share one
 * implementation: a change to the per-feature scoring changes all three.
 *
 * The model's alarms (the rows that open an episode, and those where an
 * open episode not yet reported as a record became ten times rarer) are
 * also judged by how rare they are for this series: by how many of its
 * earlier alarms were at least as severe (onset-rarity.ts). That is {@link SeriesVerdict.alarm}, the
 * `anomaly_score` of `zeroops detect`: one threshold on it means the same on
 * every series. The live detector's episodes and scores are not changed by it.
 *
 * No look-ahead: a row's score uses that row and the rows before it only;
 * nothing reads a series' minimum, maximum or length.
 */
import type { EpisodeConfig } from '../episodes/index.ts';
import { bandOf, DEFAULT_SEASONAL_SCORER, deviationToScore, ServiceModels, type ServiceScore, type ServiceState, type WindowInput } from '../fleet/index.ts';
import { scoreToDeviation } from '../fleet/seasonal-scorer.ts';
import { DEFAULT_PRIOR_ROWS, deviationOfRarity, ESCALATION, OnsetRarity, type OnsetRarityState } from './onset-rarity.ts';

/** The feature name a series is scored under: a gauge of the live detector (`metric:<name>`, bad in both directions). */
export const SERIES_FEATURE = 'metric:value';
const SERVICE = 'series';
/** The live scorer's settings with the weekly baseline given to the series' feature. */
const SERIES_SCORER = { ...DEFAULT_SEASONAL_SCORER, weeklyFeature: SERIES_FEATURE };

/** Settings of a {@link SeriesModel}: those of the live detector's service models, defaults as there. */
export interface SeriesModelConfig {
  /** Episode settings (see models/episodes). Default: the live detector's. */
  episode?: Partial<EpisodeConfig>;
  /** Rows after which an open episode's level is learned as the new normal, as event time, ms. Default a day. */
  acceptAfterMs?: number;
  /** Rows before the model counts as warmed up. Default 30. */
  warmupWindows?: number;
  /** Horizon of the rarity's Gaussian prior, rows (onset-rarity.ts). Default {@link DEFAULT_PRIOR_ROWS}. */
  priorRows?: number;
}

/** The state of a {@link SeriesModel}: the live models' state of its one service, and its history of episode onsets. */
export interface SeriesState extends ServiceState {
  onsets?: OnsetRarityState;
  /** The open episode's running peak deviation and the ln rarity it was last reported at (null: infinite). */
  alarmEpisode?: [peak: number | null, reported: number | null];
}

/** What the last row gave. */
export interface SeriesVerdict {
  /** The live per-feature score of the row, in [0, 1]. */
  score: number;
  /** How the row moved the episode: `open` is an alarm (a live incident would open), `ongoing` holds one. */
  transition: ServiceScore['transition'];
  /** Expected value of the row before it was learned (NaN while warming up). */
  expected: number;
  /**
   * The row's alarm score in [0, 1], 0 unless the row opens an episode or an
   * open episode became ten times rarer on it: then the rarity of its
   * deviation among the series' earlier episodes, on the score's scale
   * (see onset-rarity.ts).
   */
  alarm: number;
}

/** The per-signal model over one series; see the module comment. */
export class SeriesModel {
  private readonly models: ServiceModels;
  private readonly window: WindowInput = { service: SERVICE, startMs: 0, endMs: 0, features: {}, callees: [] };
  private readonly verdict: SeriesVerdict = { score: 0, transition: 'none', expected: Number.NaN, alarm: 0 };
  private readonly onsets: OnsetRarity;
  /** Running peak deviation of the open episode, and ln rarity at which it was last reported. */
  private peak = 0;
  private reported = 0;

  constructor(config: SeriesModelConfig = {}, state?: SeriesState) {
    this.models = new ServiceModels({
      episode: config.episode ?? {},
      // The series is its service's traffic: it gets the weekly baseline (used where it predicts better than the daily).
      scorer: SERIES_SCORER,
      ...(config.acceptAfterMs !== undefined ? { acceptAfterMs: config.acceptAfterMs } : {}),
      ...(config.warmupWindows !== undefined ? { warmupWindows: config.warmupWindows } : {}),
    });
    const { onsets, alarmEpisode, ...service } = state ?? {};
    if (state) this.models.restore({ [SERVICE]: service as ServiceState });
    this.onsets = new OnsetRarity(config.priorRows ?? DEFAULT_PRIOR_ROWS, onsets);
    // JSON writes an infinite peak (a score of 1) and rarity as null.
    if (alarmEpisode) [this.peak, this.reported] = [alarmEpisode[0] ?? Number.POSITIVE_INFINITY, alarmEpisode[1] ?? Number.NEGATIVE_INFINITY];
  }

  /** Scores the row `value` at `timestampMs` (non-decreasing), then learns it as the live path would; returns its score. */
  update(timestampMs: number, value: number): number {
    const w = this.window;
    w.startMs = w.endMs;
    w.endMs = timestampMs;
    // A fresh vector per row: the models may keep a window's features (a service's last window) beyond the call.
    w.features = { [SERIES_FEATURE]: value };
    const r = this.models.scoreBatch([w])[0] as ServiceScore;
    this.verdict.score = r.score;
    this.verdict.transition = r.transition;
    this.verdict.expected = bandOf(r.expected, SERIES_FEATURE)?.[0] ?? Number.NaN;
    this.verdict.alarm = this.alarmOf(r);
    return r.score;
  }

  /** The alarm score of a scored row (see {@link SeriesVerdict.alarm}); learns each alarm (opening or escalation) after judging it. */
  private alarmOf(r: ServiceScore): number {
    if (r.transition !== 'open' && r.transition !== 'ongoing') return 0;
    // The deviation behind the score (the service deviation the live score maps, Infinity at a score of 1).
    const dev = scoreToDeviation(r.score, DEFAULT_SEASONAL_SCORER.z50);
    if (r.transition === 'open') {
      this.peak = dev;
      this.reported = this.onsets.logRarity(dev);
      this.onsets.learn(dev);
      return deviationToScore(deviationOfRarity(this.reported), DEFAULT_SEASONAL_SCORER.z50);
    }
    if (!(dev > this.peak)) return 0;
    this.peak = dev;
    // An episode already reported as unprecedented for the series has had its page: further growth is
    // the far Gaussian tail, where a fraction of a spread is a decade of rarity, not news (a flat line's
    // score creeping toward 1 would be reported on every row).
    if (!(this.reported > this.onsets.recordLogRarity)) return 0;
    const ln = this.onsets.logRarity(dev);
    if (!(ln < this.reported - Math.log(ESCALATION))) return 0;
    this.reported = ln;
    // Every page counts: a series whose bursts keep growing into a second page has had that page before.
    this.onsets.learn(dev);
    return deviationToScore(deviationOfRarity(ln), DEFAULT_SEASONAL_SCORER.z50);
  }

  /** The verdict of the last row (the same object each time, overwritten by the next update). */
  get last(): Readonly<SeriesVerdict> {
    return this.verdict;
  }

  /** A copy of the state (the live detector's checkpoint of one service and the onset history), safe to JSON-serialize. */
  toJSON(): SeriesState {
    return { ...(this.models.snapshot()[SERVICE] as ServiceState), onsets: this.onsets.toJSON(), alarmEpisode: [this.peak, this.reported] };
  }
}

/**
 * What {@link scoreSeries} reads out per row: `score` the live score,
 * `onset` the live score of the rows that open an episode (0 elsewhere),
 * `alarm` {@link SeriesVerdict.alarm} (what `zeroops detect` writes as `anomaly_score`).
 */
export type SeriesReadout = 'score' | 'onset' | 'alarm';

/** Scores a whole series with a fresh model and returns the `readout` of every row. */
export function scoreSeries(times: readonly number[], values: readonly number[], config: SeriesModelConfig = {}, readout: SeriesReadout = 'score'): number[] {
  const m = new SeriesModel(config);
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    const s = m.update(times[i] as number, values[i] as number);
    out[i] = readout === 'alarm' ? m.last.alarm : readout === 'onset' ? (m.last.transition === 'open' ? s : 0) : s;
  }
  return out;
}
