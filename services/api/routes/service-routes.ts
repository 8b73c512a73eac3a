import { Type } from '@sinclair/typebox';
import { detectorTracking, listServiceHealth } from '../../reports/index.ts';
import { responses } from '../api-schemas.ts';
import type { RouteModule } from '../deps.ts';

const NullableNum = (description: string) => Type.Union([Type.Number(), Type.Null()], { description });

const ServiceItem = Type.Object(
  {
    name: Type.String(),
    firstSeen: Type.String({ format: 'date-time' }),
    lastSeen: Type.String({ format: 'date-time' }),
    attributes: Type.Record(Type.String(), Type.Unknown(), { description: 'Kept resource attributes of the latest window.' }),
    state: Type.Union([Type.Literal('healthy'), Type.Literal('warming_up'), Type.Literal('anomalous')], {
      description: `anomalous: it has an open incident; warming_up: first seen less than ZEROOPS_SERVICE_WARMUP_SECONDS ago (its baseline is still being learned); else healthy.`,
    }),
    openIncident: Type.Union([Type.Object({ id: Type.String(), severity: Type.String(), openedAt: Type.String({ format: 'date-time' }) }), Type.Null()]),
    lastScore: NullableNum('Combined anomaly score of its latest window, in [0, 1]; null before its first window.'),
    signals: Type.Object(
      {
        rate: NullableNum('Requests per second (server spans) in its latest window.'),
        errorRatio: NullableNum('Share of those requests that failed, 0..1.'),
        latencyP99Ms: NullableNum('99th percentile request latency, in milliseconds.'),
      },
      { description: 'Key signals of its latest window; null before its first window.' },
    ),
  },
  { $id: 'ServiceHealth' },
);

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

/** `GET /api/v1/services`: every service with its health now, and what the detector instances track. */
export const serviceRoutes: RouteModule = (app, { store, config }) => {
  app.get(
    '/api/v1/services',
    {
      config: { access: 'viewer' },
      schema: {
        description:
          'Services seen in telemetry (at most 10,000, by name) with their state now, last score and key signals, and what the detector instances track against their caps.',
        tags: ['services'],
        response: responses({ 200: Type.Object({ items: Type.Array(ServiceItem), tracking: Tracking }) }),
      },
    },
    async () => ({
      items: await listServiceHealth(store.db, config.serviceWarmupSeconds * 1000),
      // An instance reports with every checkpoint: rows older than a few checkpoint periods belong to instances gone.
      tracking: await detectorTracking(store.db, Math.max(3 * config.detectorCheckpointSeconds * 1000, 120_000)),
    }),
  );
};
