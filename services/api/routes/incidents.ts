import { Type } from '@sinclair/typebox';
import { FEEDBACK_LABELS, INCIDENT_STATES } from '../../store/index.ts';
import { IncidentPageSchema, responses } from '../api-schemas.ts';
import type { RouteModule } from '../deps.ts';
import { listIncidents } from '../repositories/index.ts';
import { oneOf, pageQuery, Text, Timestamp } from '../schemas.ts';

const IncidentQuery = Type.Object({
  service: Type.Optional(Text({ minLength: 1 })),
  state: Type.Optional(oneOf(INCIDENT_STATES)),
  severity: Type.Optional(oneOf(['info', 'warning', 'critical'])),
  label: Type.Optional(oneOf(FEEDBACK_LABELS, 'Only incidents with a label of this kind.')),
  from: Type.Optional(Timestamp({ description: 'Only incidents not closed before this time (RFC 3339).' })),
  to: Type.Optional(Timestamp({ description: 'Only incidents opened at or before this time (RFC 3339).' })),
  ...pageQuery(100, 1000),
});

/** `GET /api/v1/incidents`: incidents (detector episodes), most recently opened first, filtered and paged. */
export const incidentRoutes: RouteModule = (app, { store }) => {
  app.get(
    '/api/v1/incidents',
    {
      config: { access: 'viewer' },
      schema: {
        description: 'Incidents (detector episodes), most recently opened first; filters combine with AND.',
        tags: ['incidents'],
        querystring: IncidentQuery,
        response: responses({ 200: Type.Ref(IncidentPageSchema) }),
      },
    },
    async (req) => listIncidents(store.db, req.query),
  );
};
