import { Type } from '@sinclair/typebox';
import { AuditPageSchema, responses } from '../api-schemas.ts';
import type { RouteModule } from '../deps.ts';
import { listAudit } from '../repositories/index.ts';
import { pageQuery, Text, Timestamp } from '../schemas.ts';

const AuditQuery = Type.Object({
  actor: Type.Optional(Text({ minLength: 1, maxLength: 300, description: 'e.g. token:alice, executor, anonymous.' })),
  action: Type.Optional(Text({ minLength: 1, maxLength: 200, description: 'e.g. playbook.create, execution.approve, auth.deny.' })),
  subjectType: Type.Optional(Text({ minLength: 1, maxLength: 200, description: 'e.g. playbook, execution, token.' })),
  subjectId: Type.Optional(Text({ minLength: 1, maxLength: 300 })),
  since: Type.Optional(Timestamp({ description: 'Only entries at or after this time (RFC 3339).' })),
  until: Type.Optional(Timestamp({ description: 'Only entries at or before this time (RFC 3339).' })),
  ...pageQuery(100, 1000),
});

/** `GET /api/v1/audit` (admin): the audit log, newest first, filtered and paged. */
export const auditRoutes: RouteModule = (app, { store }) => {
  app.get(
    '/api/v1/audit',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['audit'],
        description: 'Who did what to which subject, newest first; filters combine with AND.',
        querystring: AuditQuery,
        response: responses({ 200: Type.Ref(AuditPageSchema) }),
      },
    },
    async (req) => listAudit(store.db, req.query),
  );
};
