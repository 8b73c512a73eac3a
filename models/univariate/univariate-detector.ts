/**
 * Streaming univariate anomaly detector: one (timestamp, value) in, one
 * anomaly score in [0, 1] out, using only the past. Built from the reusable
 * blocks of this folder so the per-service detector can share them.
 *
 * Features (seasonal residual, new extremes of the long window, optionally
 * robust z-scores) are judged by their own likelihoods; a level-shift
 * statistic catches steady plateaus those miss, and an ARTime-style shape
 * detector (see `artime-detector.ts`) running on the same rows catches
 * changes of shape that stay within the usual range. The highest score
 * decides: an alarm starts a hold that grows with the history and with
 * recent alarms. By default a reported alarm row emits its confidence (how
 * far the value reached across the recent range, or the shape detector's
 * score, whichever is larger) and every other row 0.
 * A statistical alarm whose value stays well inside the range of the recent
 * past (the rarity rule) is not reported: the series has swung that far
 * before. Nor is one that a reported alarm of the last few hundred rows
 * already matched in direction and reach (the precedent rule): it is an
 * echo of that incident. During a hold, a value beyond everything of the
 * recent past on the incident's side, reached after the series came back to
 * its middle, is reported (the record rule): it is a new incident, not the
 * tail of the old.
 */

import { AnomalyLikelihood } from '../likelihood/index.ts';
import { RollingExtremes, RollingQuantile, SeasonalBaseline } from '../stats/index.ts';
import { ArtimeDetector } from './artime-detector.ts';
import { LevelShift } from './level-shift.ts';
import { mergeConfig, type Precedent, savedConfig, type UnivariateConfig, type UnivariateState } from './univariate-config.ts';

const FEATURES = ['short', 'long', 'season', 'range'] as const;

/** What {@link UnivariateDetector.emit} needs to know of a row besides its scores. */
interface RowFacts {
  value: number;
  /** Whether the value lies at or above the long-window median (before it was learned). */
  rise: boolean;
  /** Whether the rarity rule judges the value ordinary. */
  ordinary: boolean;
  /** The value's reach across the rarity span's range, see {@link UnivariateDetector.reach} (1 without a span). */
  reach: number;
  /** The shape feature's score of the row (0 when it is disabled). */
  shape: number;
  /** Whether a recent reported alarm went at least as far (the precedent rule). */
  echo: boolean;
  /** Whether the value lies beyond the record rule's reach. */
  record: boolean;
}

/** Streaming univariate detector; see the module comment. */
export class UnivariateDetector {
  private readonly cfg: UnivariateConfig;
  private readonly shortWin: RollingQuantile;
  private readonly longWin: RollingQuantile;
  private readonly seasonal: SeasonalBaseline;
  private readonly likelihoods: AnomalyLikelihood[];
  private readonly shift: LevelShift;
  private readonly shape: ArtimeDetector | undefined;
  private readonly extremes: RollingExtremes | undefined;
  private quiet: number;
  private rows: number;
  private alarmRows: number[];
  private precedents: Precedent[];
  private recovered: boolean;
  private holdRise: boolean;

  constructor(config: Partial<UnivariateConfig> = {}, state?: UnivariateState) {
    // States saved by older versions lack newer settings: fill them from the
    // defaults, except the shape feature, which such a state did not have.
    this.cfg = mergeConfig(state ? savedConfig(state) : config);
    this.shortWin = new RollingQuantile(this.cfg.shortWindow, state?.shortWin);
    this.longWin = new RollingQuantile(this.cfg.longWindow, state?.longWin);
    this.seasonal = new SeasonalBaseline(this.cfg.seasonal, state?.seasonal);
    // A disabled feature's likelihood is never updated: it keeps a one-row
    // history so the state does not carry an unused one.
    this.likelihoods = FEATURES.map(
      (f, k) => new AnomalyLikelihood(this.cfg.features[f] ? this.cfg.likelihood : { ...this.cfg.likelihood, historyWindow: 1 }, state?.likelihoods[k]),
    );
    this.shift = new LevelShift(this.cfg.levelShift.rows, state?.levelShift);
    this.quiet = state?.quiet ?? 0;
    this.rows = state?.rows ?? 0;
    this.alarmRows = state?.alarmRows?.slice() ?? [];
    this.precedents = state?.precedents?.map((p) => ({ ...p })) ?? [];
    this.recovered = state?.recovered ?? false;
    this.holdRise = state?.holdRise ?? true;
    this.shape = this.cfg.shape.level > 0 ? new ArtimeDetector(this.cfg.shape.artime, state?.shape) : undefined;
    const spanUsed = this.cfg.rarity.share > 0 || this.cfg.record.enabled;
    this.extremes = spanUsed ? new RollingExtremes(this.cfg.rarity.rows, state?.extremes) : undefined;
  }

  /**
   * Scores one row and learns from it. Non-finite inputs score 0 and leave
   * the state unchanged.
   *
   * @param timestampMs row time, epoch ms.
   * @param value the observation.
   * @returns anomaly score in [0, 1].
   */
  update(timestampMs: number, value: number): number {
    if (!Number.isFinite(value) || !Number.isFinite(timestampMs)) return 0;
    this.rows++;
    const raws = this.surprises(timestampMs, value);
    const rise = this.longWin.length === 0 || value >= this.longWin.quantile(0.5);
    const reach = this.reach(value);
    const ordinary = this.cfg.rarity.share > 0 && reach < this.cfg.rarity.share;
    const row: RowFacts = { value, rise, ordinary, reach, shape: 0, echo: this.precedented(value, rise), record: this.beyondRecord(value) };
    this.extremes?.push(value);
    const range = this.longWin.length < 2 ? 0 : this.longWin.quantile(1) - this.longWin.quantile(0);
    this.shortWin.push(value);
    this.longWin.push(value);
    this.seasonal.learn(timestampMs, value);
    let score = 0;
    for (const [k, f] of FEATURES.entries()) {
      if (this.cfg.features[f]) score = Math.max(score, (this.likelihoods[k] as AnomalyLikelihood).update(raws[k] as number));
    }
    if (this.cfg.levelShift.rows > 0) score = Math.max(score, this.levelShiftScore(timestampMs, value, range));
    row.shape = this.shape?.update(timestampMs, value) ?? 0;
    return this.emit(score, this.shape !== undefined && row.shape >= this.cfg.shape.level, row);
  }

  /** Whether a reported alarm of the precedent span went at least as far as `x` in its direction; see {@link UnivariateConfig.precedent}. */
  private precedented(x: number, rise: boolean): boolean {
    if (this.cfg.precedent.rows <= 0) return false;
    const since = this.rows - this.cfg.precedent.rows;
    while (this.precedents.length > 0 && (this.precedents[0] as Precedent).row < since) this.precedents.shift();
    return this.precedents.some((p) => p.rise === rise && (rise ? p.value >= x : p.value <= x));
  }

  /** Level-shift score of the row just learned; `range` is the long window's range before it. */
  private levelShiftScore(t: number, x: number, range: number): number {
    this.shift.push(x);
    const win = this.longWin;
    if (win.length < 64) return 0;
    // The seasonal mean absolute residual keeps the noise scale positive for
    // low-count series, whose interquartile range is often 0.
    const noise = Math.max((win.quantile(0.75) - win.quantile(0.25)) / 1.349, 1.25 * this.seasonal.expect(t).scale, range / 100, 1e-9);
    const units = this.shift.shift(win.quantile(0.5), noise);
    return Math.min(1, (this.cfg.alarmLevel * units) / this.cfg.levelShift.sigmas);
  }

  /**
   * Applies the hold and the report level to a row's score (and the shape
   * feature's verdict); see {@link UnivariateConfig.output}.
   */
  private emit(score: number, shapeHit: boolean, row: RowFacts): number {
    if (this.quiet > 0) return this.held(score, row);
    if (shapeHit && score < this.cfg.alarmLevel) {
      // A change of shape alone is weaker evidence of an incident than a
      // statistical alarm: it holds only the least hold and does not count
      // towards the growth of later holds.
      this.hold(this.cfg.refractoryRows, row.rise);
      this.remember(row);
      return this.report(Math.max(score, this.cfg.reportLevel), row);
    }
    if (row.ordinary && !shapeHit) return this.cfg.sparse ? 0 : score;
    if (row.echo && !shapeHit && score >= this.cfg.alarmLevel) {
      // An echo of a recent incident: not reported, but it keeps the series
      // quiet for the least hold so the rest of the echo does not page.
      this.hold(this.cfg.refractoryRows, row.rise);
      return this.cfg.sparse ? 0 : score;
    }
    if (this.cfg.refractoryRows > 0 && score >= this.cfg.alarmLevel) this.startHold(row.rise);
    if (score < this.cfg.reportLevel || score < this.cfg.alarmLevel) return this.cfg.sparse ? 0 : score;
    this.remember(row);
    return this.report(score, row);
  }

  /** What a reported alarm row emits; see {@link UnivariateConfig.output}. */
  private report(score: number, row: RowFacts): number {
    if (this.cfg.output === 'alarm') return 1;
    if (this.cfg.output === 'score') return score;
    return Math.min(1, Math.max(row.reach, row.shape, 0.01));
  }

  /** A row inside a hold: quiet, unless the record rule reports it; see {@link UnivariateConfig.record}. */
  private held(score: number, row: RowFacts): number {
    this.quiet--;
    if (!this.cfg.record.enabled) return 0;
    if (row.record && this.recovered && row.rise === this.holdRise) {
      this.recovered = false;
      return this.report(Math.max(score, this.cfg.reportLevel), row);
    }
    const win = this.longWin;
    if (!this.recovered && win.length >= 16 && row.value >= win.quantile(0.25) && row.value <= win.quantile(0.75)) this.recovered = true;
    return 0;
  }

  /** Starts a hold of `rows` rows. */
  private hold(rows: number, rise: boolean): void {
    this.quiet = rows;
    this.holdRise = rise;
    this.recovered = false;
  }

  /** Whether `x` (not yet learned) lies beyond the extremes of the record rule's span by more than its margin. */
  private beyondRecord(x: number): boolean {
    const ex = this.extremes;
    if (!this.cfg.record.enabled || ex === undefined || Number.isNaN(ex.max)) return false;
    const reach = this.cfg.record.margin * (ex.max - ex.min);
    return x > ex.max + reach || x < ex.min - reach;
  }

  /** Keeps a reported alarm for the precedent rule. */
  private remember(row: RowFacts): void {
    if (this.cfg.precedent.rows > 0) this.precedents.push({ row: this.rows, value: row.value, rise: row.rise });
  }

  private startHold(rise: boolean): void {
    const span = this.cfg.holdSpanFraction * this.rows;
    this.alarmRows = this.alarmRows.filter((r) => r > this.rows - span);
    const growth = 1 + this.cfg.holdGrowth * this.alarmRows.length;
    this.alarmRows.push(this.rows);
    this.hold(Math.round(growth * Math.max(this.cfg.refractoryRows, Math.round(this.cfg.refractoryFraction * this.rows))), rise);
  }

  /**
   * How far `x` (not yet learned) reaches across the range of the rarity
   * span, from the far end in the direction it left the long-window median:
   * 0 at that end, 1 at the near extreme, more beyond it. 1 before there is a
   * span to judge by. See {@link UnivariateConfig.rarity}.
   */
  private reach(x: number): number {
    const ex = this.extremes;
    if (ex === undefined || this.longWin.length === 0 || Number.isNaN(ex.max)) return 1;
    const span = Math.max(ex.max - ex.min, 1e-9);
    return (x >= this.longWin.quantile(0.5) ? x - ex.min : ex.max - x) / span;
  }

  /** Raw surprises of `x`, one per feature, in log1p(z) units. */
  private surprises(t: number, x: number): number[] {
    const range = this.longWin.length < 2 ? 0 : this.longWin.quantile(1) - this.longWin.quantile(0);
    const floor = Math.max(range / 100, 1e-9);
    const season = this.seasonal.expect(t);
    const seasonZ = Number.isFinite(season.expected) ? Math.abs(x - season.expected) / Math.max(season.scale * 1.25, floor) : 0;
    let over = 0;
    if (this.longWin.length >= 16) {
      const hi = this.longWin.quantile(1);
      const lo = this.longWin.quantile(0);
      over = Math.max(x - hi, lo - x, 0) / Math.max(range, floor);
    }
    return [robustZ(this.shortWin, x, floor), robustZ(this.longWin, x, floor), seasonZ, over * 10].map(Math.log1p);
  }

  /** A copy of the state, safe to JSON-serialize. */
  toJSON(): UnivariateState {
    return {
      config: structuredClone(this.cfg),
      shortWin: this.shortWin.toJSON(),
      longWin: this.longWin.toJSON(),
      seasonal: this.seasonal.toJSON(),
      likelihoods: this.likelihoods.map((l) => l.toJSON()),
      quiet: this.quiet,
      rows: this.rows,
      levelShift: this.shift.toJSON(),
      alarmRows: this.alarmRows.slice(),
      ...(this.shape ? { shape: this.shape.toJSON() } : {}),
      ...(this.extremes ? { extremes: this.extremes.toJSON() } : {}),
      precedents: this.precedents.map((p) => ({ ...p })),
      recovered: this.recovered,
      holdRise: this.holdRise,
    };
  }
}

/** |x - median| / (IQR / 1.349), with the scale floored; 0 for short windows. */
function robustZ(win: RollingQuantile, x: number, floor: number): number {
  if (win.length < 16) return 0;
  const iqr = win.quantile(0.75) - win.quantile(0.25);
  return Math.abs(x - win.quantile(0.5)) / Math.max(iqr / 1.349, floor);
}
