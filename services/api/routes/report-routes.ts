import { Type } from '@sinclair/typebox';
import { PermanentError } from '../../core/errors.ts';
import { buildIncidentReport, DEFAULT_SERIES_FEATURES, loadSeries, renderReportMarkdown } from '../../reports/index.ts';
import { responses } from '../api-schemas.ts';
import type { RouteModule } from '../deps.ts';
import { ReportSchema, SeriesAnswerSchema } from '../report-schemas.ts';
import { IdParams, Text, Timestamp } from '../schemas.ts';

const SeriesQuery = Type.Object({
  features: Type.Optional(Text({ description: `Comma-separated feature names (default ${DEFAULT_SERIES_FEATURES.join(',')}), at most 20.` })),
  from: Type.Optional(Timestamp({ description: 'Start (RFC 3339); default one hour before `to`.' })),
  to: Type.Optional(Timestamp({ description: 'End (RFC 3339); default now.' })),
  points: Type.Integer({ minimum: 2, maximum: 5000, default: 200, description: 'Most points per series (windows are averaged into equal time buckets).' }),
});

function featureList(raw: string | undefined): string[] {
  if (!raw) return DEFAULT_SERIES_FEATURES;
  const list = [
    ...new Set(
      raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    ),
  ];
  if (list.length === 0 || list.length > 20) {
    throw new PermanentError(
      'ZEROOPS_REQUEST_INVALID',
      'querystring/features must name 1 to 20 features, comma-separated (e.g. features=error_ratio,latency_p99_ms)',
    );
  }
  return list;
}

/** `GET /api/v1/incidents/:id/report` (JSON or `?format=md`) and `GET /api/v1/services/:name/series`. */
export const reportRoutes: RouteModule = (app, deps) => {
  const db = deps.store.db;
  app.get(
    '/api/v1/incidents/:id/report',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['incidents'],
        description: 'The report of one incident; `?format=md` renders it as Markdown (text/markdown) for a ticket or a chat message.',
        params: IdParams,
        querystring: Type.Object({ format: Type.Union([Type.Literal('json'), Type.Literal('md')], { default: 'json' }) }),
        response: responses({
          200: Type.Unsafe({
            content: { 'application/json': { schema: ReportSchema }, 'text/markdown': { schema: Type.String({ description: 'The report as Markdown.' }) } },
          }),
        }),
      },
    },
    async (req, reply) => {
      const report = await buildIncidentReport(db, req.params.id, { deployLookbackMs: deps.config.changeFailureSeconds * 1000 });
      if (req.query.format === 'md') return reply.type('text/markdown').send(renderReportMarkdown(report));
      return report;
    },
  );
  app.get(
    '/api/v1/services/:name/series',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['services'],
        description: "A service's window features with the expected value and band at each window, downsampled to `points`.",
        params: Type.Object({ name: Text({ minLength: 1, maxLength: 256 }) }),
        querystring: SeriesQuery,
        response: responses({ 200: SeriesAnswerSchema }),
      },
    },
    async (req) => {
      const q = req.query;
      const to = q.to ? new Date(q.to) : new Date();
      const from = q.from ? new Date(q.from) : new Date(to.getTime() - 3_600_000);
      if (from.getTime() >= to.getTime()) throw new PermanentError('ZEROOPS_REQUEST_INVALID', 'querystring/from must be earlier than querystring/to');
      const series = await loadSeries(db, req.params.name, featureList(q.features), from, to, q.points);
      return { service: req.params.name, from: from.toISOString(), to: to.toISOString(), series };
    },
  );
};
