import { Type } from '@sinclair/typebox';
import { eq } from 'drizzle-orm';
import { PermanentError } from '../../core/errors.ts';
import { forecastLoad } from '../../forecast/index.ts';
import { services } from '../../store/index.ts';
import { responses } from '../api-schemas.ts';
import type { RouteModule } from '../deps.ts';
import { Text } from '../schemas.ts';

/** Longest forecast horizon, in seconds (a week). */
export const MAX_HORIZON_SECONDS = 7 * 86_400;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `horizon` (90s, 30m, 6h, 1d, 1w or plain seconds) in seconds; a 400 that says what to send otherwise. */
export function parseHorizon(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 3600;
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw]?)$/.exec(raw.trim());
  const seconds = m ? Number(m[1]) * (UNIT_SECONDS[m[2] || 's'] as number) : Number.NaN;
  if (!(seconds >= 1 && seconds <= MAX_HORIZON_SECONDS)) {
    throw new PermanentError(
      'ZEROOPS_REQUEST_INVALID',
      `querystring/horizon must be a duration from 1s to 7d such as 90s, 30m, 6h or 1d (a plain number is seconds), got "${raw}"`,
    );
  }
  return seconds;
}

const Point = Type.Object({
  t: Type.String({ format: 'date-time', description: 'End of the forecast step.' }),
  expected: Type.Number({ description: 'Expected requests per second over the step.' }),
  lower: Type.Number({ description: 'Lower bound of the prediction interval.' }),
  upper: Type.Number({ description: 'Upper bound of the prediction interval.' }),
});

const LoadForecastSchema = Type.Object(
  {
    service: Type.String(),
    feature: Type.Literal('request_rate'),
    generatedAt: Type.String({ format: 'date-time' }),
    stepSeconds: Type.Integer({
      description: 'Length of a forecast step: the history is averaged into steps of this length (the detector window, or more for a long history).',
    }),
    history: Type.Object(
      {
        from: Type.String({ format: 'date-time' }),
        to: Type.String({ format: 'date-time' }),
        points: Type.Integer({ description: 'Steps of history with data.' }),
      },
      { description: 'The request-rate history learnt from (ZEROOPS_FORECAST_HISTORY_SECONDS).' },
    ),
    periods: Type.Array(Type.Object({ seconds: Type.Number(), strength: Type.Number({ description: 'Autocorrelation at that lag, -1..1.' }) }), {
      description: 'Seasonal periods found in the history, shortest first (e.g. a day and a week, or a 4-hour batch cycle).',
    }),
    cycles: Type.Union([Type.Integer(), Type.Null()], { description: 'Full cycles of the shortest period in the history; null without a period.' }),
    ready: Type.Boolean({ description: 'Whether the forecast has seen at least two cycles of a period it found.' }),
    basis: Type.String({ description: 'What the forecast rests on, in a sentence.' }),
    coverage: Type.Number({ description: 'Nominal coverage of [lower, upper] (ZEROOPS_FORECAST_COVERAGE).' }),
    points: Type.Array(Point),
  },
  { $id: 'LoadForecast' },
);

/** `GET /api/v1/services/:name/forecast?horizon=`: the service's request-rate forecast with its prediction interval. */
export const forecastRoutes: RouteModule = (app, { store, config }) => {
  app.get(
    '/api/v1/services/:name/forecast',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['services'],
        description:
          "A service's request-rate forecast for the next `horizon` with a prediction interval, from its stored history: the seasonal periods are found in the data (daily, weekly, or any other cycle), then an online seasonal model (Holt-Winters with robust updates) forecasts.",
        params: Type.Object({ name: Text({ minLength: 1, maxLength: 256 }) }),
        querystring: Type.Object({
          horizon: Type.Optional(Text({ maxLength: 32, description: 'How far ahead: 90s, 30m, 6h, 1d, 1w or plain seconds; at most 7d (default 1h).' })),
        }),
        response: responses({ 200: LoadForecastSchema }),
      },
    },
    async (req) => {
      const horizon = parseHorizon(req.query.horizon);
      const [known] = await store.db.select({ name: services.name }).from(services).where(eq(services.name, req.params.name)).limit(1);
      if (!known) throw new PermanentError('ZEROOPS_NOT_FOUND', `no service named "${req.params.name}" has been seen`, { statusCode: 404 });
      return forecastLoad(store.db, req.params.name, horizon, {
        historySeconds: config.forecastHistorySeconds,
        coverage: config.forecastCoverage,
        windowSeconds: config.windowSeconds,
      });
    },
  );
};
