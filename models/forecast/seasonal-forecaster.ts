/**
 * The load forecaster: an ensemble of online Holt-Winters members
 * (`holt-winters.ts`) that share the seasonal periods and differ in how fast
 * their level and trend follow the data, and in the scale they learn on:
 * additive members learn the values, log members learn log(1 + x), where a
 * season or level that scales the whole profile (traffic that grows by a
 * tenth grows by a tenth at the peak and at night) is additive, and a burst
 * weighs less; their point maps back to the median on the series' scale,
 * which is what the absolute error rewards; one additive member also has a
 * damped trend that reaches a few cycles ahead, and one log member a short one
 * that reaches half a cycle (a level drifting within the day). All learn from every point; each
 * tracks its own recent errors at a few horizons, and each horizon of a
 * forecast comes from the member that has lately forecast that far ahead
 * best (or from all, weighted by that). The choice is made per series and
 * online, from the errors of the series' own past only: a steady series
 * keeps the slow level (least noise), one that drifts, shifts or trends gets
 * a faster one, bursty or multiplicative traffic a log member. Members are
 * compared on their absolute errors on the series' own scale. The state is
 * plain JSON.
 */
import { type ForecasterConfig, forecasterConfig, memberConfigs } from './forecast-config.ts';
import { type ForecastPoint, HoltWinters, type HoltWintersState } from './holt-winters.ts';

export type { ForecastPoint };

/** Serializable state of a {@link SeasonalForecaster} (plain JSON). */
export interface ForecasterState {
  config: ForecasterConfig;
  members: HoltWintersState[];
}

/** Online seasonal forecaster; see the module comment. */
export class SeasonalForecaster {
  private readonly config: ForecasterConfig;
  private readonly members: HoltWinters[];

  /** A fresh forecaster with `config`, or one resumed from `state` (which carries its config). */
  constructor(config: Partial<ForecasterConfig>, state?: ForecasterState) {
    if (state) {
      const copy = structuredClone(state);
      this.config = copy.config;
      this.members = copy.members.map((m) => new HoltWinters(m.config, m));
      return;
    }
    this.config = forecasterConfig(config);
    this.members = memberConfigs(this.config).map((c) => new HoltWinters(c));
  }

  /** A copy of the state, to store and resume later. */
  getState(): ForecasterState {
    return structuredClone({ config: this.config, members: this.members.map((m) => m.state) });
  }

  /** Steps seen (gaps included). */
  get steps(): number {
    return (this.members[0] as HoltWinters).steps;
  }

  /** Full cycles of the shortest period seen (Infinity without seasons). */
  get cycles(): number {
    return (this.members[0] as HoltWinters).cycles;
  }

  /** Adds the next point; a non-finite value is a gap (the state moves one step on without learning). */
  update(x: number): void {
    for (const m of this.members) m.update(x);
  }

  /** Per member, its recent error at horizon `h`: that of the nearest tracked horizon (in log-horizon) with enough errors. */
  private errorsAt(h: number, byHorizon: number[][]): number[] {
    const hs = this.config.horizons;
    let best = -1;
    for (let i = 0; i < hs.length; i++) {
      if (!(byHorizon[i] as number[]).every(Number.isFinite)) continue;
      if (best < 0 || Math.abs(Math.log(h / (hs[i] as number))) < Math.abs(Math.log(h / (hs[best] as number)))) best = i;
    }
    return best < 0 ? this.members.map(() => Number.NaN) : (byHorizon[best] as number[]);
  }

  /** The next `horizon` steps: expected value and prediction interval (at the configured coverage). */
  forecast(horizon: number): ForecastPoint[] {
    const all = this.members.map((m) => m.forecast(horizon));
    if (all.length === 1) return all[0] as ForecastPoint[];
    // byHorizon[i][j]: member j's recent error at tracked horizon i.
    const byHorizon = this.config.horizons.map((_, i) => this.members.map((m) => m.recentError(i)));
    const out: ForecastPoint[] = [];
    for (let k = 1; k <= horizon; k++) {
      const errs = this.errorsAt(k, byHorizon);
      const pts = all.map((f) => f[k - 1] as ForecastPoint);
      // Until errors are known, the first member (the slowest of the defaults) forecasts alone.
      if (!errs.every(Number.isFinite)) {
        out.push(pts[0] as ForecastPoint);
        continue;
      }
      let best = 0;
      errs.forEach((e, j) => {
        if (e < (errs[best] as number)) best = j;
      });
      const top = this.config.top ?? 1;
      if (this.config.combine === 'select' && top <= 1) {
        out.push(pts[best] as ForecastPoint);
        continue;
      }
      if (this.config.combine === 'select') {
        // The mean of the `top` members that erred least: their errors are partly independent, so the mean errs less than each.
        const order = errs.map((e, j) => [e, j] as const).sort((a, b) => a[0] - b[0]);
        const chosen = order.slice(0, top).map(([, j]) => pts[j] as ForecastPoint);
        const mean = chosen.reduce((a, p) => a + p.mean, 0) / chosen.length;
        const b = pts[best] as ForecastPoint;
        out.push({ step: k, mean, lower: mean - (b.mean - b.lower), upper: mean + (b.upper - b.mean) });
        continue;
      }
      const w = errs.map((e) => 1 / Math.max(1e-12, e) ** 2);
      const sw = w.reduce((a, b) => a + b, 0);
      const mean = pts.reduce((a, p, j) => a + p.mean * (w[j] as number), 0) / sw;
      const b = pts[best] as ForecastPoint;
      out.push({ step: k, mean, lower: mean - (b.mean - b.lower), upper: mean + (b.upper - b.mean) });
    }
    return out;
  }
}

/** A forecaster with `config` fed every point of `xs`. */
export function fitForecaster(xs: readonly number[], config: Partial<ForecasterConfig>): SeasonalForecaster {
  const f = new SeasonalForecaster(config);
  for (const x of xs) f.update(x);
  return f;
}
