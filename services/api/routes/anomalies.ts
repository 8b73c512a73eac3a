import { Type } from '@sinclair/typebox';
import { EPISODE_STATES } from '../../core/contracts/index.ts';
import { AnomalyPageSchema, AnomalySchema, responses } from '../api-schemas.ts';
import type { RouteModule } from '../deps.ts';
import { getAnomaly, listAnomalies } from '../repositories/index.ts';
import { IdParams, oneOf, pageQuery, Text, Timestamp } from '../schemas.ts';

const AnomalyQuery = Type.Object({
  service: Type.Optional(Text({ minLength: 1 })),
  episode: Type.Optional(Text({ minLength: 1, description: 'An incident (episode) id.' })),
  state: Type.Optional(oneOf(EPISODE_STATES, "The episode's state when the anomaly was raised.")),
  since: Type.Optional(Timestamp({ description: 'Only anomalies whose window ended at or after this time (RFC 3339, years 1 to 9999).' })),
  until: Type.Optional(Timestamp({ description: 'Only anomalies whose window ended at or before this time (RFC 3339).' })),
  ...pageQuery(100, 1000),
});

/** `GET /api/v1/anomalies` (filtered, paged), `/anomalies/:id` (`/services` is in service-routes.ts). */
export const anomalyRoutes: RouteModule = (app, { store }) => {
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
};
