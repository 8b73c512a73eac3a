import { Type } from '@sinclair/typebox';
import { and, desc, eq, gte, type SQL } from 'drizzle-orm';
import { PermanentError } from '../../core/errors.ts';
import { anomalies, incidents } from '../../store/index.ts';
import type { RouteModule } from '../deps.ts';
import { IdParams, Text, Timestamp } from '../schemas.ts';

const Evidence = Type.Object({ feature: Type.String(), observed: Type.Number(), expected: Type.Number(), deviation: Type.Number() });
const RootCause = Type.Object({ service: Type.String(), score: Type.Number(), reason: Type.String() });

/** An anomaly as the API returns it. */
export const AnomalySchema = Type.Object(
  {
    id: Type.String(),
    service: Type.String(),
    episodeId: Type.String(),
    windowStart: Type.String({ format: 'date-time' }),
    windowEnd: Type.String({ format: 'date-time' }),
    score: Type.Number({ description: 'Combined anomaly score in [0, 1].' }),
    likelihood: Type.Number(),
    severity: Type.String(),
    kind: Type.String(),
    evidence: Type.Array(Evidence),
    rootCauses: Type.Array(RootCause),
    modelVersion: Type.String(),
    episodeState: Type.String(),
    flapping: Type.Boolean(),
    attributes: Type.Record(Type.String(), Type.String(), {
      description:
        "The service's resource attributes kept by the detector (ZEROOPS_DETECTOR_ATTRIBUTES), as playbooks' match.attributes sees them; " +
        'plus `zeroops.model_state: warming_up` while the service has been seen for too short a time to judge severity.',
    }),
    detectedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Anomaly' },
);

const IncidentSchema = Type.Object({
  id: Type.String(),
  service: Type.String(),
  kind: Type.String(),
  severity: Type.String(),
  state: Type.String(),
  openedAt: Type.String({ format: 'date-time' }),
  closedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  maxScore: Type.Number(),
  lastScore: Type.Number(),
  flapping: Type.Boolean(),
  resolvedBy: Type.Union([Type.Literal('auto'), Type.Literal('human'), Type.Literal('self'), Type.Null()], {
    description:
      'Who resolved it: auto (an automatic execution verified the fix), human (a person approved the fix), self (closed with no action that worked); null while open or while an execution is still under way.',
  }),
  neededHuman: Type.Boolean({ description: 'Whether a person had to act (approve, reject) or an execution escalated.' }),
});

const ListQuery = Type.Object({
  service: Type.Optional(Text({ minLength: 1 })),
  episode: Type.Optional(Text({ minLength: 1 })),
  state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('ongoing'), Type.Literal('closed')])),
  since: Type.Optional(Timestamp({ description: 'Only anomalies whose window ended at or after this time (RFC 3339, years 1 to 9999).' })),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
});

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}

/** `GET /api/v1/anomalies`, `/anomalies/:id`, `/incidents` (`/services` is in service-routes.ts). */
export const anomalyRoutes: RouteModule = (app, { store }) => {
  const { db } = store;
  app.get(
    '/api/v1/anomalies',
    {
      config: { access: 'viewer' },
      schema: {
        description: 'Anomaly events, newest first.',
        tags: ['anomalies'],
        querystring: ListQuery,
        response: { 200: Type.Object({ items: Type.Array(AnomalySchema) }) },
      },
    },
    async (req) => {
      const q = req.query;
      const where: SQL[] = [];
      if (q.service) where.push(eq(anomalies.service, q.service));
      if (q.episode) where.push(eq(anomalies.episodeId, q.episode));
      if (q.state) where.push(eq(anomalies.episodeState, q.state));
      if (q.since) where.push(gte(anomalies.windowEnd, new Date(q.since)));
      const rows = await db
        .select()
        .from(anomalies)
        .where(and(...where))
        .orderBy(desc(anomalies.windowEnd), desc(anomalies.id))
        .limit(q.limit);
      return {
        items: rows.map((r) => ({
          ...r,
          windowStart: r.windowStart.toISOString(),
          windowEnd: r.windowEnd.toISOString(),
          detectedAt: r.detectedAt.toISOString(),
        })),
      };
    },
  );
  app.get(
    '/api/v1/anomalies/:id',
    { config: { access: 'viewer' }, schema: { tags: ['anomalies'], params: IdParams, response: { 200: AnomalySchema } } },
    async (req) => {
      const [r] = await db.select().from(anomalies).where(eq(anomalies.id, req.params.id));
      if (!r) throw new PermanentError('ZEROOPS_NOT_FOUND', `no anomaly with id "${req.params.id}"`, { statusCode: 404 });
      return { ...r, windowStart: r.windowStart.toISOString(), windowEnd: r.windowEnd.toISOString(), detectedAt: r.detectedAt.toISOString() };
    },
  );
  app.get(
    '/api/v1/incidents',
    {
      config: { access: 'viewer' },
      schema: {
        description: 'Incidents (detector episodes), newest first.',
        tags: ['anomalies'],
        querystring: Type.Object({
          service: Type.Optional(Text()),
          state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('closed')])),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        }),
        response: { 200: Type.Object({ items: Type.Array(IncidentSchema) }) },
      },
    },
    async (req) => {
      const where: SQL[] = [];
      if (req.query.service) where.push(eq(incidents.service, req.query.service));
      if (req.query.state) where.push(eq(incidents.state, req.query.state));
      const rows = await db
        .select()
        .from(incidents)
        .where(and(...where))
        .orderBy(desc(incidents.openedAt))
        .limit(req.query.limit);
      return { items: rows.map((r) => ({ ...r, openedAt: r.openedAt.toISOString(), closedAt: iso(r.closedAt) })) };
    },
  );
};
