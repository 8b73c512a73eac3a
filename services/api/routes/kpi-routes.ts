import { Type } from '@sinclair/typebox';
import { PermanentError } from '../../core/errors.ts';
import { exportKpiMetrics, kpisOf, parseBucket } from '../../reports/index.ts';
import { responses } from '../api-schemas.ts';
import type { RouteModule } from '../deps.ts';
import { KpiAnswerSchema } from '../report-schemas.ts';
import { Text, Timestamp } from '../schemas.ts';

/** `GET /api/v1/kpis` over any range, overall or per service, with buckets; the same figures exported as OpenTelemetry gauges. */
export const kpiRoutes: RouteModule = (app, deps) => {
  const stop = exportKpiMetrics({
    db: deps.store.db,
    telemetry: deps.telemetry,
    logger: deps.logger.child({ component: 'kpis' }),
    changeFailureMs: deps.config.changeFailureSeconds * 1000,
  });
  app.addHook('onClose', async () => stop());
  app.get(
    '/api/v1/kpis',
    {
      config: { access: 'viewer' },
      schema: {
        tags: ['kpis'],
        description: 'The Zero-Ops KPIs over [from, to), overall or of one service, in total and per bucket (definitions in the README, section KPIs).',
        querystring: Type.Object({
          service: Type.Optional(Text({ minLength: 1 })),
          from: Type.Optional(Timestamp({ description: 'Start (RFC 3339); default 7 days before `to`.' })),
          to: Type.Optional(Timestamp({ description: 'End (RFC 3339, excluded); default now.' })),
          bucket: Type.String({
            default: '1d',
            pattern: '^[0-9]{1,6}[smhd]$',
            description: 'Bucket length: a number and s, m, h or d (default 1d); at most 1000 buckets.',
          }),
        }),
        response: responses({ 200: KpiAnswerSchema }),
      },
    },
    async (req) => {
      const q = req.query;
      const to = q.to ? new Date(q.to) : new Date();
      const from = q.from ? new Date(q.from) : new Date(to.getTime() - 7 * 86_400_000);
      if (from.getTime() >= to.getTime()) throw new PermanentError('ZEROOPS_REQUEST_INVALID', 'querystring/from must be earlier than querystring/to');
      return kpisOf(deps.store.db, {
        service: q.service ?? null,
        from,
        to,
        bucketMs: parseBucket(q.bucket),
        changeFailureMs: deps.config.changeFailureSeconds * 1000,
      });
    },
  );
};
