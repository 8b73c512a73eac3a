import { Type } from '@sinclair/typebox';
import { gte } from 'drizzle-orm';
import { detectorInstances, services } from '../../store/index.ts';
import { AnomalyPageSchema, AnomalySchema, responses } from '../api-schemas.ts';
import type { RouteModule } from '../deps.ts';
import { getAnomaly, listAnomalies } from '../repositories/index.ts';
import { IdParams, oneOf, pageQuery, Text, Timestamp } from '../schemas.ts';

const AnomalyQuery = Type.Object({
  service: Type.Optional(Text({ minLength: 1 })),
  episode: Type.Optional(Text({ minLength: 1, description: 'An incident (episode) id.' })),
  state: Type.Optional(oneOf(['open', 'ongoing', 'closed'], "The episode's state when the anomaly was raised.")),
  since: Type.Optional(Timestamp({ description: 'Only anomalies whose window ended at or after this time (RFC 3339, years 1 to 9999).' })),
  until: Type.Optional(Timestamp({ description: 'Only anomalies whose window ended at or before this time (RFC 3339).' })),
  ...pageQuery(100, 1000),
});

const ServiceItem = Type.Object({
  name: Type.String(),
  firstSeen: Type.String(),
  lastSeen: Type.String(),
  attributes: Type.Record(Type.String(), Type.Unknown(), { description: 'Kept resource attributes of the latest window.' }),
});

const Tracking = Type.Object(
  {
    instances: Type.Integer({ description: 'Detector instances that reported recently.' }),
    trackedServices: Type.Integer(),
    maxServices: Type.Integer({ description: "Sum of the instances' caps (ZEROOPS_DETECTOR_MAX_SERVICES each)." }),
    refusedRecords: Type.Integer({ description: 'Records dropped since the instances started because their cap was reached.' }),
    refusedServices: Type.Integer({ description: 'Distinct services among them (estimated within a few per cent).' }),
    badNameRecords: Type.Integer({ description: 'Records dropped for a service.name longer than 256 characters or holding control characters.' }),
    evictedServices: Type.Integer({ description: 'Services whose detector state was dropped after being idle.' }),
  },
  { description: 'What the running detector instances track against their caps (from their last checkpoint).' },
);

/** `GET /api/v1/anomalies` (filtered, paged), `/anomalies/:id`, `/services`. */
export const anomalyRoutes: RouteModule = (app, { store, config }) => {
  const { db } = store;
  app.get(
    '/api/v1/anomalies',
    {
      config: { access: 'viewer' },
      schema: {
        description: 'Anomaly events, newest window first; filters combine with AND.',
        tags: ['anomalies'],
        querystring: AnomalyQuery,
        response: responses({ 200: Type.Ref(AnomalyPageSchema) }),
      },
    },
    async (req) => listAnomalies(db, req.query),
  );
  app.get(
    '/api/v1/anomalies/:id',
    { config: { access: 'viewer' }, schema: { tags: ['anomalies'], params: IdParams, response: responses({ 200: Type.Ref(AnomalySchema) }) } },
    async (req) => getAnomaly(db, req.params.id),
  );
  app.get(
    '/api/v1/services',
    {
      config: { access: 'viewer' },
      schema: {
        description: 'Services seen in telemetry (at most 10,000, by name), and what the detector instances track against their caps.',
        tags: ['anomalies'],
        response: { 200: Type.Object({ items: Type.Array(ServiceItem), tracking: Tracking }) },
      },
    },
    async () => {
      const rows = await db.select().from(services).orderBy(services.name).limit(10_000);
      // An instance reports with every checkpoint: rows older than a few checkpoint periods belong to instances gone.
      const fresh = new Date(Date.now() - Math.max(3 * config.detectorCheckpointSeconds * 1000, 120_000));
      const live = await db.select().from(detectorInstances).where(gte(detectorInstances.updatedAt, fresh));
      const sum = (f: (r: (typeof live)[number]) => number) => live.reduce((n, r) => n + f(r), 0);
      return {
        items: rows.map((r) => ({ name: r.name, firstSeen: r.firstSeen.toISOString(), lastSeen: r.lastSeen.toISOString(), attributes: r.attributes })),
        tracking: {
          instances: live.length,
          trackedServices: sum((r) => r.trackedServices),
          maxServices: sum((r) => r.maxServices),
          refusedRecords: sum((r) => r.refusedRecords),
          refusedServices: sum((r) => r.refusedServices),
          badNameRecords: sum((r) => r.badNameRecords),
          evictedServices: sum((r) => r.evictedServices),
        },
      };
    },
  );
};
