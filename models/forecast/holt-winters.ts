/**
 * One member of the forecaster: online additive Holt-Winters with damped trend and any number of seasonal
 * periods (Taylor's multiple-seasonal form, updated one season after the
 * other). Each seasonal slot is the plain mean of its first cycles, so the
 * forecast is useful after a few cycles of the shortest period; errors are
 * clipped before they update the state (robust to spikes), unless a run of
 * them falls beyond the clip on one side (`shiftRun`: the level moved); each
 * season's profile is kept at a mean of 0 (`normalize`), so that a level
 * that moves stays in the level and its trend instead of the slots; the
 * errors' own persistence (lag-1 autocorrelation) corrects the first steps
 * ahead. The prediction
 * interval comes from the empirical quantiles of recent errors at a few
 * tracked horizons, interpolated in log-horizon between them. A `log`
 * member does all of this on log(1 + x) (sign kept) and maps its point and
 * bounds back (quantiles map through a monotone function unchanged).
 */
import type { ForecasterConfig } from './forecast-config.ts';

/** The settings of one member: the forecaster's, with its own level and trend smoothing. */
export type MemberConfig = Omit<ForecasterConfig, 'members' | 'combine'>;

interface SeasonState {
  period: number;
  slots: number[];
  counts: number[];
  /** Subtracted from every slot when read (see `normalize`); absent in states saved before it (0). */
  offset?: number;
}

/** Serializable state of a {@link HoltWinters} (plain JSON). */
export interface HoltWintersState {
  config: MemberConfig;
  /** Steps seen, gaps included: the index of the next point. */
  t: number;
  /** Finite points seen. */
  n: number;
  level: number;
  trend: number;
  seasons: SeasonState[];
  /** Exponential mean of the absolute (clipped) one-step error. */
  scale: number;
  /** Errors that have updated `scale`. */
  scaleCount: number;
  /** Signed count of the latest one-step errors beyond the clip, all on one side (+ above, - below); absent in states saved before it (0). */
  clipRun?: number;
  /** Sum of the errors of that run (see `shiftJump`); absent in states saved before it (0). */
  clipSum?: number;
  /** The latest (clipped) one-step error, and the exponential means of its square and of its product with the one before (lag-1 autocorrelation). */
  lastError: number;
  errVar: number;
  errCov: number;
  /** Level, trend and one-step error after each of the last `max(horizons)` steps, as a ring at index `step % length`. */
  bases: Array<[number, number, number]>;
  /** Per tracked horizon, a ring of its recent errors (observed minus forecast, on the member's scale: logarithmic for a `log` member). */
  residuals: number[][];
  /** Per tracked horizon, a ring of the same errors' absolute values on the series' own scale (which members are compared on). */
  absErrors: number[][];
  /** Per tracked horizon, errors recorded so far (the ring's write position is this modulo its size). */
  recorded: number[];
}

/** One forecast point: the expected value and its prediction interval. */
export interface ForecastPoint {
  /** Steps ahead of the last point seen (1 = the next one). */
  step: number;
  mean: number;
  lower: number;
  upper: number;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

/** One Holt-Winters member; see the module comment. */
export class HoltWinters {
  private readonly s: HoltWintersState;

  /** A fresh member with `config` (already checked), or one resumed from `state` (which it then owns). */
  constructor(config: MemberConfig, state?: HoltWintersState) {
    if (state) {
      this.s = state;
      return;
    }
    const c = config;
    const keep = Math.max(1, ...c.horizons);
    this.s = {
      config: c,
      t: 0,
      n: 0,
      level: 0,
      trend: 0,
      seasons: c.periods.map((p) => ({ period: p, slots: new Array(p).fill(0), counts: new Array(p).fill(0) })),
      scale: 0,
      scaleCount: 0,
      lastError: 0,
      errVar: 0,
      errCov: 0,
      bases: Array.from({ length: keep }, () => [0, 0, 0] as [number, number, number]),
      residuals: c.horizons.map(() => []),
      absErrors: c.horizons.map(() => []),
      recorded: c.horizons.map(() => 0),
    };
  }

  /** The live state (the caller copies it). */
  get state(): HoltWintersState {
    return this.s;
  }

  /**
   * Mean absolute error of the recent forecasts at tracked horizon index `i`
   * (NaN with fewer than 30 errors): how well this member has forecast that
   * far ahead lately.
   */
  recentError(i: number): number {
    const r = this.s.absErrors[i] as number[];
    if (r.length < 30) return Number.NaN;
    let sum = 0;
    for (const e of r) sum += e;
    return sum / r.length;
  }

  /** Steps seen (gaps included). */
  get steps(): number {
    return this.s.t;
  }

  /** Full cycles of the shortest period seen (Infinity without seasons). */
  get cycles(): number {
    const p = this.s.config.periods[0];
    return p === undefined ? Number.POSITIVE_INFINITY : Math.floor(this.s.t / p);
  }

  /**
   * Seasonal value of season `i` at step `t`: the median (`seasonRead`
   * `median`) or the mean of the middle third (`trimmed`) of the seen slots
   * within the smoothing width. Both ignore a stray slot, where a mean would
   * follow it; the median keeps a step edge sharpest, the trimmed mean
   * averages away more of the slots' own noise (each slot is a mean of a few
   * cycles, and the noise left in it is what a one-day forecast carries).
   */
  private seasonal(i: number, t: number): number {
    const se = this.s.seasons[i] as SeasonState;
    // The width follows the season's own period (a weekly slot learns from one point a week), or the shortest's.
    const w = Math.floor((this.s.config.seasonWidth === 'own' ? se.period : this.shortest) * this.s.config.smoothFraction);
    const off = se.offset ?? 0;
    if (w === 0) {
      const slot = t % se.period;
      return (se.counts[slot] as number) === 0 ? 0 : (se.slots[slot] as number) - off;
    }
    const vals: number[] = [];
    for (let d = -w; d <= w; d++) {
      const slot = (((t + d) % se.period) + se.period) % se.period;
      if ((se.counts[slot] as number) > 0) vals.push(se.slots[slot] as number);
    }
    if (vals.length === 0) return 0;
    vals.sort((a, b) => a - b);
    if (this.s.config.seasonRead === 'trimmed') {
      // The mean of the middle third: up to a third of the slots on either side (a burst of a few steps that a
      // first cycle learnt whole) is ignored, the rest averaged.
      const q = Math.floor(vals.length / 3);
      let sum = 0;
      for (let i = q; i < vals.length - q; i++) sum += vals[i] as number;
      return sum / (vals.length - 2 * q) - off;
    }
    const m = vals.length >> 1;
    return (vals.length % 2 ? (vals[m] as number) : ((vals[m - 1] as number) + (vals[m] as number)) / 2) - off;
  }

  private seasonalSum(t: number, except = -1): number {
    let sum = 0;
    for (let i = 0; i < this.s.seasons.length; i++) if (i !== except) sum += this.seasonal(i, t);
    return sum;
  }

  private dampedSum(h: number): number {
    const phi = this.s.config.phi;
    if (phi === 1) return h;
    return (phi * (1 - phi ** h)) / (1 - phi);
  }

  /**
   * Lag-1 autocorrelation of the one-step errors, in [0, 0.99]: a deviation
   * from the seasonal pattern that persists (a busy afternoon) carries into
   * the next steps, fading as rho^h (Taylor's AR(1) adjustment).
   */
  private get rho(): number {
    const s = this.s;
    return s.errVar > 0 ? Math.max(0, Math.min(0.99, s.errCov / s.errVar)) : 0;
  }

  /** Whether every season has seen the slot of step `t` and the shortest cycle has passed once. */
  private warm(t: number): boolean {
    return t >= this.shortest && this.s.seasons.every((se) => (se.counts[t % se.period] as number) > 0);
  }

  /** `y` (on the member's scale) back on the series' scale. */
  private out(y: number): number {
    return this.s.config.log ? Math.sign(y) * Math.expm1(Math.abs(y)) : y;
  }

  private recordErrors(x: number, raw: number, seasonal: number): void {
    const s = this.s;
    const c = s.config;
    c.horizons.forEach((h, i) => {
      const from = s.t - h;
      if (from < 0 || from < s.t - s.bases.length || from < (c.periods[0] ?? 1)) return;
      const [level, trend, err] = s.bases[from % s.bases.length] as [number, number, number];
      const ring = s.residuals[i] as number[];
      const at = (s.recorded[i] as number) % c.residualWindow;
      const forecast = level + trend * this.dampedSum(h) + seasonal + this.rho ** h * err;
      ring[at] = x - forecast;
      (s.absErrors[i] as number[])[at] = Math.abs(raw - this.out(forecast));
      s.recorded[i] = (s.recorded[i] as number) + 1;
    });
  }

  private get shortest(): number {
    return this.s.config.periods[0] ?? 1;
  }

  private learnSeasons(x: number): void {
    const s = this.s;
    s.seasons.forEach((se, i) => {
      const slot = s.t % se.period;
      const g = Math.max(s.config.gamma, 1 / ((se.counts[slot] as number) + 1));
      const off = se.offset ?? 0;
      const before = (se.slots[slot] as number) - off;
      const after = g * (x - s.level - this.seasonalSum(s.t, i)) + (1 - g) * before;
      se.slots[slot] = after + off;
      se.counts[slot] = (se.counts[slot] as number) + 1;
      // Once the season has seen every slot, what a slot gains on the season's mean goes to the level, so the
      // profile keeps a mean of 0 and a level that moves (a trend, a shift) stays in the level and the trend.
      if (s.config.normalize && s.t >= se.period) {
        const d = (after - before) / se.period;
        se.offset = off + d;
        s.level += d;
        s.trend += s.config.beta * d;
      }
    });
  }

  /** Moves the mean of the shortest season's seen slots into the level. */
  private recentre(): void {
    const se = this.s.seasons[0];
    if (!se) return;
    let sum = 0;
    let k = 0;
    se.slots.forEach((v, i) => {
      if ((se.counts[i] as number) === 0) return;
      sum += v;
      k++;
    });
    if (k === 0) return;
    const m = sum / k;
    this.s.level += m;
    se.slots = se.slots.map((v, i) => ((se.counts[i] as number) === 0 ? v : v - m));
  }

  /**
   * Whether error `e` belongs to a shift rather than a spike: it is beyond the clip `bound`, and so were the
   * `shiftRun - 1` errors before it, on the same side. A spike is a point or two; a level that moved stays
   * beyond the clip, and clipping it would leave the level behind for hours (and the seasons would take
   * what the level did not).
   */
  private shifted(e: number, bound: number): boolean {
    const s = this.s;
    const need = s.config.shiftRun ?? 0;
    if (need <= 0) return false;
    const run = s.clipRun ?? 0;
    const same = Math.sign(e) === Math.sign(run);
    if (Math.abs(e) <= bound) {
      s.clipRun = 0;
      s.clipSum = 0;
    } else {
      s.clipRun = same ? run + Math.sign(e) : Math.sign(e);
      s.clipSum = (same ? (s.clipSum ?? 0) : 0) + e;
    }
    return Math.abs(s.clipRun) >= need;
  }

  /**
   * With `shiftJump`, when a run of errors beyond the clip on one side has lasted that fraction of the
   * shortest period (and at least `shiftRun` steps), the level moves by the run's mean error at once: after
   * a shift the level before it says nothing about the level now, and a level that remembers days would
   * otherwise take days to get there (the seasons taking the rest meanwhile). 0 otherwise, and for every
   * later step of the same run.
   */
  private shiftJump(): number {
    const s = this.s;
    const run = s.config.shiftRun ?? 0;
    const jump = s.config.shiftJump ?? 0;
    // Without seasons there is no cycle to measure a shift's duration by: the faster members follow it.
    if (run <= 0 || jump <= 0 || s.config.periods.length === 0) return 0;
    const need = Math.max(run, Math.round(jump * this.shortest));
    return Math.abs(s.clipRun ?? 0) === need ? (s.clipSum ?? 0) / need : 0;
  }

  /** Adds the next point; a non-finite value is a gap (the state moves one step on without learning). */
  update(raw: number): void {
    const s = this.s;
    const c = s.config;
    // A log member learns log(1 + x) (sign kept): multiplicative seasons and levels become additive, bursts shrink.
    let x = c.log ? Math.sign(raw) * Math.log1p(Math.abs(raw)) : raw;
    const seasonal = this.seasonalSum(s.t);
    if (Number.isFinite(x)) {
      if (s.n === 0) {
        s.level = x - seasonal;
        s.trend = 0;
      } else {
        const warm = this.warm(s.t);
        if (warm) this.recordErrors(x, raw, seasonal);
        let forecast = s.level + c.phi * s.trend + seasonal;
        let e = x - forecast;
        const bound = c.clip * s.scale;
        const shift = warm && s.scale > 0 && this.shifted(e, bound);
        const jump = shift ? this.shiftJump() : 0;
        if (jump !== 0) {
          // The level takes the shift; this step's error is what is left of it.
          s.level += jump;
          forecast += jump;
          e -= jump;
        }
        const ec = warm && s.scale > 0 && !shift ? Math.max(-bound, Math.min(bound, e)) : e;
        if (warm) {
          s.scaleCount++;
          const a = Math.max(0.01, 1 / s.scaleCount);
          s.scale += a * (Math.abs(ec) - s.scale);
          s.errVar += a * (ec * ec - s.errVar);
          s.errCov += a * (ec * s.lastError - s.errCov);
          s.lastError = ec;
        }
        const xc = forecast + ec;
        // Through the first cycle the level stays put and the seasons take everything; then the level takes that cycle's mean.
        if (s.t >= this.shortest) {
          const level = c.alpha * (xc - seasonal) + (1 - c.alpha) * (s.level + c.phi * s.trend);
          s.trend = c.beta * (level - s.level) + (1 - c.beta) * c.phi * s.trend;
          s.level = level;
        }
        x = xc;
      }
      this.learnSeasons(x);
      if (s.t === this.shortest - 1) this.recentre();
      s.n++;
    } else {
      s.level += c.phi * s.trend;
      s.trend *= c.phi;
      s.lastError *= this.rho;
    }
    s.bases[s.t % s.bases.length] = [s.level, s.trend, s.lastError];
    s.t++;
  }

  /** The error quantile `q` at horizon `h`, interpolated (in log-horizon) between tracked horizons with enough errors. */
  private errorQuantile(h: number, q: number, sortedByHorizon: Array<number[] | undefined>): number {
    const c = this.s.config;
    const known = c.horizons.map((hh, i) => ({ h: hh, r: sortedByHorizon[i] })).filter((k): k is { h: number; r: number[] } => k.r !== undefined);
    if (known.length === 0) {
      // No tracked errors yet: a normal band from the mean absolute error (which is 0.8 sigma for normal errors).
      const z = 1.645 * 1.25 * this.s.scale * Math.sqrt(1 + (h - 1) * c.alpha ** 2);
      return q === 0.5 ? 0 : q < 0.5 ? -z : z;
    }
    const below = [...known].reverse().find((k) => k.h <= h);
    const above = known.find((k) => k.h >= h);
    if (!below) return quantile((above as { r: number[] }).r, q);
    if (!above) {
      const grow = Math.sqrt((1 + (h - 1) * c.alpha ** 2) / (1 + (below.h - 1) * c.alpha ** 2));
      return quantile(below.r, q) * grow;
    }
    if (above.h === below.h) return quantile(below.r, q);
    const f = Math.log(h / below.h) / Math.log(above.h / below.h);
    const q0 = quantile(below.r, q);
    return q0 + f * (quantile(above.r, q) - q0);
  }

  /** The next `horizon` steps: expected value and prediction interval (at the configured coverage). */
  forecast(horizon: number): ForecastPoint[] {
    const s = this.s;
    const c = s.config;
    const sorted = s.residuals.map((r) => (r.length >= 30 ? [...r].sort((a, b) => a - b) : undefined));
    const out: ForecastPoint[] = [];
    for (let k = 1; k <= horizon; k++) {
      const mean = s.level + s.trend * this.dampedSum(k) + this.seasonalSum(s.t + k - 1) + this.rho ** k * s.lastError;
      const lq = (1 - c.coverage) / 2;
      const lo = this.errorQuantile(k, lq, sorted);
      const hi = this.errorQuantile(k, 1 - lq, sorted);
      // The median of the errors moves the point to the middle of what came after such forecasts (the point that minimises the absolute error).
      const mid = c.point === 'median' ? this.errorQuantile(k, 0.5, sorted) : 0;
      // A log member's point maps back to the median (not the mean) on the series' scale, which is what the absolute error rewards.
      out.push({ step: k, mean: this.out(mean + mid), lower: this.out(mean + Math.min(mid, lo)), upper: this.out(mean + Math.max(mid, hi)) });
    }
    return out;
  }
}
