/** Settings of the seasonal forecaster, with their defaults. */

/**
 * One member of the forecaster's ensemble: how many cycles of the shortest
 * period its level remembers (alpha = 1 / (memory x period)), and its trend
 * smoothing as a fraction of that alpha (0: no trend), and whether it learns
 * log(1 + x) instead of x.
 */
export interface MemberSpec {
  memory: number;
  trend: number;
  /** Learn log(1 + x) instead of x (default false): seasons and level changes that scale the whole profile, and skewed bursty counts. */
  log?: boolean;
  /**
   * How far ahead the trend reaches, in cycles of the shortest period (default: the forecaster's `phi` per step):
   * the damping per step is `1 - 1 / (reach x period)`, so a trend of this member carries on for about `reach`
   * cycles whatever the step length. The trend learns `b = beta (level change) + (1 - beta) phi b`, which in a
   * steady rise settles at `beta / (1 - (1 - beta) phi)` of the true slope: a reach of several cycles keeps
   * `1 - phi` well below `beta`, so the slope is learnt nearly whole (0.89 of it for the default trend member).
   */
  reach?: number;
}

/** Settings of a {@link SeasonalForecaster}. */
export interface ForecasterConfig {
  /** Seasonal periods in steps, shortest first (from `detectPeriods`); none: level and trend only. */
  periods: number[];
  /**
   * Level smoothing in (0, 1] of a single model (default NaN: an ensemble of
   * `members`, whose level smoothing follows the shortest period).
   */
  alpha: number;
  /** Trend smoothing in [0, 1] of a single model (with `alpha`; default 0: no trend). */
  beta: number;
  /**
   * The ensemble, when `alpha` is not given: members that differ in how fast
   * their level and trend follow the data, all fed every point; each horizon
   * is forecast by the member whose recent forecasts that far ahead erred
   * least (see `combine`). Without periods, a cycle counts as
   * {@link NO_PERIOD_CYCLE} steps. Default: level memories of 2, 1/2 and 1/8
   * cycles, each once additive and once on the log scale, an additive
   * member with a damped trend (memory 1/2 cycle, trend smoothing half its
   * level's, reach 4 cycles) that carries a steady rise over a day ahead,
   * and a log member with a short damped trend (memory 1/8 cycle, trend
   * smoothing a quarter of its level's, reach 1/2 cycle) that carries a level
   * drifting within the day (traffic that scales up or down over hours) the
   * rest of the way, and no further.
   */
  members: MemberSpec[];
  /** How members make one forecast: `select` the member with the least recent error at that horizon, or `weighted` by the inverse of its squared error. */
  combine: 'select' | 'weighted';
  /** With `select`: the point is the mean of this many members that erred least at that horizon (default 1: the best alone). */
  top?: number;
  /** Trend damping per step in [0, 1] (default 0.98): the trend's reach ahead is at most about `phi / (1 - phi)` steps. */
  phi: number;
  /**
   * Least seasonal smoothing in (0, 1] (default 0.05; 0.1 before session 17): each slot is the plain mean of its
   * first `1/gamma` cycles, then an exponential mean. A day ahead, the noise left in the profile is most of what
   * a steady series' forecast adds to the observation's own: more cycles average more of it away.
   */
  gamma: number;
  /** A seasonal value is read from the slots within this fraction of the period on either side (see `seasonRead`, `seasonWidth`; default 0.02; 0: the slot alone). */
  smoothFraction: number;
  /**
   * Whose period `smoothFraction` is a fraction of: each season's `own`
   * (default), or the `shortest` period's for every season (before session
   * 15; also what a state saved without this field does). A slot of a season
   * of period P is learnt from one point in P, so a weekly slot from a
   * seventh of what a daily one sees: a width in proportion to its own
   * period pools the same share of the data for each season's value.
   */
  seasonWidth?: 'shortest' | 'own';
  /**
   * How the slots within the smoothing width make one seasonal value: their `median`, or the mean of their
   * middle third, `trimmed` (default median). Both ignore stray slots (the
   * trimmed mean up to a third on either side); the trimmed mean keeps less of the slots' own noise, which is
   * most of a steady series' error a day ahead, and blurs a step edge by a slot or two where the median keeps
   * it sharp: on NAB's art_daily_small_noise (a square daily wave) trimmed cost 14 points at 1 h (session 17).
   */
  seasonRead?: 'median' | 'trimmed';
  /** A one-step error beyond this many mean absolute errors is clipped before it updates the state, so that spikes do not bend the forecast (default 4). */
  clip: number;
  /**
   * After this many one-step errors in a row beyond the clip on the same side, the series has moved (a level
   * shift, not a spike): such errors update the state unclipped until one falls within the clip again
   * (default 3; 0: always clip; absent in configs saved before it: 0).
   */
  shiftRun?: number;
  /**
   * When a run of errors beyond the clip on one side (see `shiftRun`) has lasted this fraction of the shortest
   * period (at least `shiftRun` steps), the level moves by the run's mean error at once instead of following at
   * its own smoothing, which for a level that remembers days takes days. A burst that lasts minutes is not a
   * shift: it ends or falls back within the clip before, and the level it would have jumped to would stay
   * behind after it (default 1/24: an hour of a day; 0: never; absent in configs saved before it: 0; never
   * without periods).
   */
  shiftJump?: number;
  /**
   * Keep each season's profile at a mean of 0 (default true; absent in configs saved before it: false):
   * what a slot learns above the season's mean goes to the level at once. Without it, a level that moves
   * (a trend, a shift, a drift) is partly learnt by the slots, one slot a cycle, which the level and its
   * trend then miss, and which the slots unlearn only slowly when the level catches up.
   */
  normalize?: boolean;
  /**
   * The point forecast: `mean` (the model's) or `median` (the model's plus
   * the median of its recent errors at that horizon, the point that
   * minimises the absolute error when errors are skewed, as bursty counts are).
   */
  point: 'mean' | 'median';
  /** A single model learns log(1 + x) (sign kept) instead of x, and its forecast maps back (default false). */
  log: boolean;
  /** Nominal coverage of the prediction interval in (0, 1) (default 0.9). */
  coverage: number;
  /** Recent errors kept per tracked horizon for the interval and the choice of member (default 2000: a week of 5-minute steps, so that the errors at a horizon of a day are not those of one day alone). */
  residualWindow: number;
  /** Horizons, in steps, whose forecast errors are tracked for the interval; others are interpolated between them (default 1, 4, 16, 64, 256, 1024). */
  horizons: number[];
}

/** Steps that stand for a cycle when sizing the members of a forecaster without periods. */
export const NO_PERIOD_CYCLE = 20;

/** Defaults of {@link ForecasterConfig} (`alpha` NaN: the ensemble of `members`). */
export const DEFAULT_FORECASTER: ForecasterConfig = {
  periods: [],
  alpha: Number.NaN,
  beta: 0,
  members: [
    { memory: 2, trend: 0 },
    { memory: 0.5, trend: 0 },
    { memory: 0.125, trend: 0 },
    { memory: 2, trend: 0, log: true },
    { memory: 0.5, trend: 0, log: true },
    { memory: 0.125, trend: 0, log: true },
    { memory: 0.5, trend: 0.5, reach: 4 },
    { memory: 0.125, trend: 0.25, reach: 0.5, log: true },
  ],
  combine: 'select',
  phi: 0.98,
  gamma: 0.05,
  smoothFraction: 0.02,
  seasonWidth: 'own',
  seasonRead: 'median',
  clip: 4,
  shiftRun: 3,
  shiftJump: 1 / 24,
  normalize: true,
  point: 'mean',
  log: false,
  coverage: 0.9,
  residualWindow: 2000,
  horizons: [1, 4, 16, 64, 256, 1024],
};

/** `config` over the defaults, checked: throws a RangeError naming the bad field. */
export function forecasterConfig(config: Partial<ForecasterConfig>): ForecasterConfig {
  const c = { ...DEFAULT_FORECASTER, ...config };
  const within = (name: string, v: number, lo: number, hi: number) => {
    if (!(Number.isFinite(v) && v >= lo && v <= hi)) throw new RangeError(`forecaster ${name} must be in [${lo}, ${hi}], got ${v}`);
  };
  if (!Number.isNaN(c.alpha)) within('alpha', c.alpha, 1e-6, 1);
  if (!Number.isNaN(c.alpha) || c.members.length === 0) c.members = [];
  for (const m of c.members) {
    within('members memory', m.memory, 1e-3, 1e3);
    within('members trend', m.trend, 0, 1);
    if (m.reach !== undefined) within('members reach', m.reach, 1e-3, 1e3);
  }
  if (c.point !== 'mean' && c.point !== 'median') throw new RangeError(`forecaster point must be mean or median, got ${String(c.point)}`);
  if (c.seasonWidth !== 'own' && c.seasonWidth !== 'shortest')
    throw new RangeError(`forecaster seasonWidth must be own or shortest, got ${String(c.seasonWidth)}`);
  if (c.seasonRead !== undefined && c.seasonRead !== 'median' && c.seasonRead !== 'trimmed')
    throw new RangeError(`forecaster seasonRead must be median or trimmed, got ${String(c.seasonRead)}`);
  if (c.combine !== 'select' && c.combine !== 'weighted') throw new RangeError(`forecaster combine must be select or weighted, got ${String(c.combine)}`);
  within('beta', c.beta, 0, 1);
  within('top', c.top ?? 1, 1, 100);
  within('phi', c.phi, 0, 1);
  within('gamma', c.gamma, 1e-6, 1);
  within('smoothFraction', c.smoothFraction, 0, 0.25);
  within('clip', c.clip, 1, 1e6);
  within('shiftRun', c.shiftRun ?? 0, 0, 1e6);
  within('shiftJump', c.shiftJump ?? 0, 0, 1);
  within('coverage', c.coverage, 0.01, 0.999);
  within('residualWindow', c.residualWindow, 10, 100_000);
  for (const p of c.periods) if (!Number.isInteger(p) || p < 2) throw new RangeError(`forecaster periods must be integers of at least 2 steps, got ${p}`);
  for (const h of c.horizons) if (!Number.isInteger(h) || h < 1) throw new RangeError(`forecaster horizons must be positive integers, got ${h}`);
  return { ...c, periods: [...c.periods].sort((a, b) => a - b), horizons: [...new Set(c.horizons)].sort((a, b) => a - b) };
}

/** The settings of each member of a forecaster with checked config `c`: one model with `alpha` when it is given (0.1 when NaN without members), else one per member. */
export function memberConfigs(c: ForecasterConfig): Array<Omit<ForecasterConfig, 'members' | 'combine'>> {
  const { members, combine, ...base } = c;
  const cycle = c.periods[0] ?? NO_PERIOD_CYCLE;
  if (members.length === 0) {
    const alpha = Number.isNaN(c.alpha) ? (c.periods.length > 0 ? Math.min(0.5, 1 / (2 * cycle)) : 0.1) : c.alpha;
    return [{ ...base, alpha }];
  }
  return members.map((m) => {
    const alpha = Math.min(0.5, 1 / (m.memory * cycle));
    const phi = m.reach === undefined ? base.phi : Math.max(0, 1 - 1 / (m.reach * cycle));
    return { ...base, alpha, beta: alpha * m.trend, log: m.log ?? false, phi };
  });
}
