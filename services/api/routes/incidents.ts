import { Type } from '@sinclair/typebox';
import { labelsOf } from '../../reports/index.ts';
import { FEEDBACK_LABELS, INCIDENT_STATES } from '../../store/index.ts';
import { IncidentPageSchema, responses } from '../api-schemas.ts';
import type { RouteModule } from '../deps.ts';
import { listIncidents } from '../repositories/index.ts';
import { oneOf, pageQuery, Text, Timestamp } from '../schemas.ts';

const IncidentQuery = Type.Object({
  service: Type.Optional(Text({ minLength: 1 })),
  state: Type.Optional(oneOf(INCIDENT_STATES)),
  severity: Type.Optional(oneOf(['info', 'warning', 'critical'])),
  label: Type.Optional(oneOf([...FEEDBACK_LABELS, 'none'], 'Only incidents with a label of this kind; `none`: with no true- or false-positive label.')),
  from: Type.Optional(Timestamp({ description: 'Only incidents not closed before this time (RFC 3339).' })),
  to: Type.Optional(Timestamp({ description: 'Only incidents opened at or before this time (RFC 3339).' })),
  ...pageQuery(100, 1000),
});

/** `GET /api/v1/incidents`: incidents (detector episodes) with their labels, most recently opened first, filtered and paged. */
export const incidentRoutes: RouteModule = (app, { store }) => {
  app.get(
    '/api/v1/incidents',
    {
      config: { access: 'viewer' },
      schema: {
        description: 'Incidents (detector episodes) with their labels, most recently opened first; filters combine with AND.',
        tags: ['incidents'],
        querystring: IncidentQuery,
        response: responses({ 200: Type.Ref(IncidentPageSchema) }),
      },
    },
    async (req) => {
      const page = await listIncidents(store.db, req.query);
      const labels = await labelsOf(
        store.db,
        page.items.map((i) => i.id),
      );
      return { ...page, items: page.items.map((i) => ({ ...i, labels: labels.get(i.id) ?? [] })) };
    },
  );
};
