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
 * No look-ahead: a row's score uses that row and the rows before it only;
 * nothing reads a series' minimum, maximum or length.
 */
import type { EpisodeConfig } from '../episodes/index.ts';
import { deviationToScore, ServiceModels, type ServiceScore, type ServiceState, type WindowInput } from '../fleet/index.ts';
import { scoreToDeviation } from '../fleet/seasonal-scorer.ts';
import { deviationOfLogRate, OnsetRate } from './onset-rate.ts';

/** The feature name a series is scored under: a gauge of the live detector (`metric:<name>`, bad in both directions). */
export const SERIES_FEATURE = 'metric:value';
const SERVICE = 'series';

/** Settings of a {@link SeriesModel}: those of the live detector's service models, defaults as there. */
export interface SeriesModelConfig {
  /** Episode settings (see models/episodes). Default: the live detector's. */
  episode?: Partial<EpisodeConfig>;
  /** Rows after which an open episode's level is learned as the new normal, as event time, ms. Default a day. */
  acceptAfterMs?: number;
  /** Rows before the model counts as warmed up. Default 30. */
  warmupWindows?: number;
  /** PROTOTYPE rate calibration prior rows (0: off). */
  ratePrior?: number;
  /** PROTOTYPE severity: 'score' or 'spread'. */
  rateBy?: 'score' | 'spread';
  /** PROTOTYPE: count every row (true) or only onsets. */
  rateRows?: boolean;
  /** PROTOTYPE: report again within an episode when its peak's rate fell by this factor (0: onsets only). */
  escalate?: number;
  /** PROTOTYPE: learn episode peaks at close instead of onsets. */
  learnPeak?: boolean;
}

/** What the last row gave. */
export interface SeriesVerdict {
  /** The live per-feature score of the row, in [0, 1]. */
  score: number;
  /** How the row moved the episode: `open` is an alarm (a live incident would open), `ongoing` holds one. */
  transition: ServiceScore['transition'];
  /** Expected value of the row before it was learned (NaN while warming up). */
  expected: number;
  /** PROTOTYPE calibrated onset score. */
  rated: number;
}

/** The per-signal model over one series; see the module comment. */
export class SeriesModel {
  private readonly models: ServiceModels;
  private readonly window: WindowInput = { service: SERVICE, startMs: 0, endMs: 0, features: {}, callees: [] };
  private readonly verdict: SeriesVerdict = { score: 0, transition: 'none', expected: Number.NaN, rated: 0 };
  private readonly rate: OnsetRate | undefined;
  private readonly rateBy: 'score' | 'spread';
  private readonly rateRows: boolean;
  private readonly esc: number;
  private readonly learnPeak: boolean;
  private peak = 0;
  private reported = 0;

  constructor(config: SeriesModelConfig = {}, state?: ServiceState) {
    this.models = new ServiceModels({
      episode: config.episode ?? {},
      ...(config.acceptAfterMs !== undefined ? { acceptAfterMs: config.acceptAfterMs } : {}),
      ...(config.warmupWindows !== undefined ? { warmupWindows: config.warmupWindows } : {}),
    });
    if (state) this.models.restore({ [SERVICE]: state });
    this.rate = config.ratePrior ? new OnsetRate({ priorRows: config.ratePrior }) : undefined;
    this.rateBy = config.rateBy ?? 'score';
    this.rateRows = config.rateRows ?? false;
    this.esc = config.escalate ?? 0;
    this.learnPeak = config.learnPeak ?? false;
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
    this.verdict.expected = r.expected?.[SERIES_FEATURE]?.[0] ?? Number.NaN;
    this.verdict.rated = 0;
    if (this.rate) {
      this.rate.tick();
      const dev = this.rateBy === 'score' ? scoreToDeviation(r.score, 3) : r.deviation;
      const t = r.transition;
      if (t === 'open') {
        this.peak = dev;
        const ln = this.rate.logRate(dev);
        this.reported = ln;
        this.verdict.rated = deviationToScore(deviationOfLogRate(ln), 3);
      } else if (t === 'ongoing' && this.esc > 0 && dev > this.peak) {
        this.peak = dev;
        const ln = this.rate.logRate(dev);
        if (ln < this.reported - Math.log(this.esc)) {
          this.reported = ln;
          this.verdict.rated = deviationToScore(deviationOfLogRate(ln), 3);
        }
      }
      if (this.learnPeak) {
        if (t === 'closed') this.rate.learn(this.peak);
      } else if (t === 'open' || (this.rateRows && dev > 0)) this.rate.learn(dev);
    }
    return r.score;
  }

  /** The verdict of the last row (the same object each time, overwritten by the next update). */
  get last(): Readonly<SeriesVerdict> {
    return this.verdict;
  }

  /** A copy of the state (the live detector's checkpoint of one service), safe to JSON-serialize. */
  toJSON(): ServiceState {
    return this.models.snapshot()[SERVICE] as ServiceState;
  }
}

/** Scores a whole series with a fresh model; `onsets` keeps a row's score only where an episode opens (0 elsewhere). */
export function scoreSeries(times: readonly number[], values: readonly number[], config: SeriesModelConfig = {}, onsets = false): number[] {
  const m = new SeriesModel(config);
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    const s = m.update(times[i] as number, values[i] as number);
    out[i] = config.ratePrior ? m.last.rated : onsets ? (m.last.transition === 'open' ? s : 0) : s;
  }
  return out;
}
