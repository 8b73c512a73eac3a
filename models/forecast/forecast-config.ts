/** Settings of the seasonal forecaster, with their defaults. */

/** Settings of a {@link SeasonalForecaster}. */
export interface ForecasterConfig {
  /** Seasonal periods in steps, shortest first (from `detectPeriods`); none: level and trend only. */
  periods: number[];
  /**
   * Level smoothing in (0, 1] (default: 1 / (2 x the shortest period), so the
   * level remembers about two cycles and does not soak up what a longer
   * season should learn, such as a weekend; 0.1 without seasons).
   */
  alpha: number;
  /** Trend smoothing in [0, 1] (default 0: no trend; a small value such as 0.005 adds a damped one). */
  beta: number;
  /** Trend damping per step in [0, 1] (default 0.98): the trend's reach ahead is at most about `phi / (1 - phi)` steps. */
  phi: number;
  /** Least seasonal smoothing in (0, 1] (default 0.1): each slot is the plain mean of its first `1/gamma` cycles, then an exponential mean. */
  gamma: number;
  /** A seasonal value is the median of the slots within this fraction of the shortest period on either side (default 0.02; 0: the slot alone). */
  smoothFraction: number;
  /** A one-step error beyond this many mean absolute errors is clipped before it updates the state, so that spikes do not bend the forecast (default 4). */
  clip: number;
  /** Nominal coverage of the prediction interval in (0, 1) (default 0.9). */
  coverage: number;
  /** Recent errors kept per tracked horizon for the interval (default 500). */
  residualWindow: number;
  /** Horizons, in steps, whose forecast errors are tracked for the interval; others are interpolated between them (default 1, 4, 16, 64, 256, 1024). */
  horizons: number[];
}

/** Defaults of {@link ForecasterConfig} (`alpha` NaN: derived from the periods). */
export const DEFAULT_FORECASTER: ForecasterConfig = {
  periods: [],
  alpha: Number.NaN,
  beta: 0,
  phi: 0.98,
  gamma: 0.1,
  smoothFraction: 0.02,
  clip: 4,
  coverage: 0.9,
  residualWindow: 500,
  horizons: [1, 4, 16, 64, 256, 1024],
};

/** `config` over the defaults, checked: throws a RangeError naming the bad field. */
export function forecasterConfig(config: Partial<ForecasterConfig>): ForecasterConfig {
  const c = { ...DEFAULT_FORECASTER, ...config };
  const shortest = Math.min(...(c.periods.length > 0 ? c.periods : [Number.NaN]));
  if (Number.isNaN(c.alpha)) c.alpha = Number.isFinite(shortest) ? Math.min(0.5, 1 / (2 * shortest)) : 0.1;
  const within = (name: keyof ForecasterConfig, v: number, lo: number, hi: number) => {
    if (!(Number.isFinite(v) && v >= lo && v <= hi)) throw new RangeError(`forecaster ${name} must be in [${lo}, ${hi}], got ${v}`);
  };
  within('alpha', c.alpha, 1e-6, 1);
  within('beta', c.beta, 0, 1);
  within('phi', c.phi, 0, 1);
  within('gamma', c.gamma, 1e-6, 1);
  within('smoothFraction', c.smoothFraction, 0, 0.25);
  within('clip', c.clip, 1, 1e6);
  within('coverage', c.coverage, 0.01, 0.999);
  within('residualWindow', c.residualWindow, 10, 100_000);
  for (const p of c.periods) if (!Number.isInteger(p) || p < 2) throw new RangeError(`forecaster periods must be integers of at least 2 steps, got ${p}`);
  for (const h of c.horizons) if (!Number.isInteger(h) || h < 1) throw new RangeError(`forecaster horizons must be positive integers, got ${h}`);
  return { ...c, periods: [...c.periods].sort((a, b) => a - b), horizons: [...new Set(c.horizons)].sort((a, b) => a - b) };
}
