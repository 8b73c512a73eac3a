/**
 * A service's load forecast: its request-rate history from the rollups, the
 * seasonal periods found in it, the online seasonal forecaster fed with it,
 * and the next `horizon` steps with their prediction interval.
 */
import { detectPeriods, fitForecaster, quietestWindow, roundPeriodsFor } from '../../models/forecast/index.ts';
import type { Db } from '../store/index.ts';
import { chooseStep, loadRateSeries, type RateSeries } from './rate-series.ts';

/** Settings of a forecast (from the config). */
export interface ForecastSettings {
  /** History learnt from, in seconds (`forecastHistorySeconds`). */
  historySeconds: number;
  /** Nominal interval coverage (`forecastCoverage`). */
  coverage: number;
  /** Detector window, in seconds: the finest step. */
  windowSeconds: number;
}

/** One forecast step. */
export interface LoadForecastPoint {
  /** End of the step (ISO-8601), like a window's end. */
  t: string;
  expected: number;
  lower: number;
  upper: number;
}

/** A service's load forecast. */
export interface LoadForecast {
  service: string;
  feature: 'request_rate';
  generatedAt: string;
  stepSeconds: number;
  /** The history learnt from: its span and how many steps had data. */
  history: { from: string; to: string; points: number };
  /** Seasonal periods found, shortest first. */
  periods: Array<{ seconds: number; strength: number }>;
  /** Full cycles of the shortest period in the history (null without one). */
  cycles: number | null;
  /** Whether the forecast has seen at least two cycles of a period it found. */
  ready: boolean;
  /** What the forecast rests on, in a sentence. */
  basis: string;
  coverage: number;
  points: LoadForecastPoint[];
}

function describe(periods: LoadForecast['periods'], cycles: number | null, points: number): string {
  if (points === 0) return 'no request-rate history yet: nothing to forecast from';
  if (periods.length === 0) return `no seasonal cycle found in ${points} steps of history: the forecast is the recent level`;
  const p = periods.map((x) => `${x.seconds} s`).join(' and ');
  return `seasonal cycle${periods.length > 1 ? 's' : ''} of ${p} found; ${cycles} full cycle${cycles === 1 ? '' : 's'} of the shortest seen`;
}

/** The load forecast of `service` for the next `horizonSeconds` after `now`. */
export async function forecastLoad(db: Db, service: string, horizonSeconds: number, settings: ForecastSettings, now = new Date()): Promise<LoadForecast> {
  const step = chooseStep(Math.max(settings.historySeconds, horizonSeconds), settings.windowSeconds);
  const series = await loadRateSeries(db, service, 'request_rate', now.getTime() - settings.historySeconds * 1000, now.getTime(), step);
  return forecastOfSeries(service, series, horizonSeconds, settings, now);
}

/**
 * The load forecast of `service` from its request-rate `series` (what
 * {@link forecastLoad} reads from the rollups, on the step `chooseStep`
 * gives): pure, so a simulation can forecast exactly as the executor does.
 */
export function forecastOfSeries(service: string, series: RateSeries, horizonSeconds: number, settings: ForecastSettings, now = new Date()): LoadForecast {
  const step = series.stepSeconds;
  // Steps before the service's first data are not history.
  const first = series.values.findIndex((v) => Number.isFinite(v));
  const values = first < 0 ? [] : series.values.slice(first);
  const startMs = series.startMs + Math.max(0, first) * step * 1000;
  const found = detectPeriods(values, { roundPeriods: roundPeriodsFor(step) });
  const model = fitForecaster(values, { periods: found.map((p) => p.steps), coverage: settings.coverage });
  const horizon = Math.max(1, Math.ceil(horizonSeconds / step));
  const periods = found.map((p) => ({ seconds: p.steps * step, strength: p.strength }));
  const cycles = found.length > 0 ? model.cycles : null;
  const finite = values.filter((v) => Number.isFinite(v)).length;
  const points =
    finite === 0
      ? []
      : model.forecast(horizon).map((p) => ({
          t: new Date(startMs + (values.length + p.step) * step * 1000).toISOString(),
          // A rate is never negative.
          expected: Math.max(0, p.mean),
          lower: Math.max(0, p.lower),
          upper: Math.max(0, p.upper),
        }));
  return {
    service,
    feature: 'request_rate',
    generatedAt: now.toISOString(),
    stepSeconds: step,
    history: { from: new Date(startMs).toISOString(), to: now.toISOString(), points: finite },
    periods,
    cycles,
    ready: cycles !== null && cycles >= 2,
    basis: describe(periods, cycles, finite),
    coverage: settings.coverage,
    points,
  };
}

/** The quietest stretch of `durationSeconds` starting within `withinSeconds` of a forecast's first step. */
export function quietWindowOf(forecast: LoadForecast, withinSeconds: number, durationSeconds: number): { startsAt: string; expected: number } | undefined {
  const width = Math.max(1, Math.round(durationSeconds / forecast.stepSeconds));
  const limit = Math.max(1, Math.floor(withinSeconds / forecast.stepSeconds) + 1);
  const q = quietestWindow(
    forecast.points.map((p) => p.expected),
    width,
    limit,
  );
  if (!q) return undefined;
  const first = forecast.points[q.start] as LoadForecastPoint;
  // A step's point is stamped at its end: the stretch starts one step earlier.
  return { startsAt: new Date(Date.parse(first.t) - forecast.stepSeconds * 1000).toISOString(), expected: q.mean };
}
