import { Type } from '@sinclair/typebox';
import { createToken, revokeToken, TOKEN_NAME_PATTERN } from '../../auth/index.ts';
import { TOKEN_ROLES } from '../../store/index.ts';
import { responses, TokenPageSchema, TokenSchema } from '../api-schemas.ts';
import type { RouteModule } from '../deps.ts';
import { listTokenPage } from '../repositories/index.ts';
import { oneOf, pageQuery } from '../schemas.ts';

const tags = ['tokens'];
const admin = { access: 'admin' as const };

const TokenQuery = Type.Object({
  role: Type.Optional(oneOf(TOKEN_ROLES)),
  revoked: Type.Optional(Type.Boolean({ description: 'true: only revoked tokens; false: only valid ones.' })),
  ...pageQuery(100, 1000),
});

/** /api/v1/tokens (admin): create (the secret is in that one response), list (no secrets, paged), revoke. */
export const tokenRoutes: RouteModule = (app, deps) => {
  const db = deps.store.db;
  app.post(
    '/api/v1/tokens',
    {
      config: admin,
      schema: {
        tags,
        description: 'Create an API (viewer, operator, admin) or OTLP ingest token. The token is in this response only; zeroops keeps its SHA-256.',
        body: Type.Object({ name: Type.String({ pattern: TOKEN_NAME_PATTERN }), role: oneOf(TOKEN_ROLES) }, { additionalProperties: false }),
        response: responses({ 201: Type.Composite([TokenSchema, Type.Object({ token: Type.String({ description: 'The secret; shown once.' }) })]) }),
      },
    },
    async (req, reply) => {
      const created = await createToken(db, req.body.name, req.body.role as (typeof TOKEN_ROLES)[number], req.actor);
      await deps.tokens?.refresh();
      return reply.status(201).send(created);
    },
  );
  app.get(
    '/api/v1/tokens',
    {
      config: admin,
      schema: {
        tags,
        description: 'Tokens, newest first (revoked ones too unless filtered).',
        querystring: TokenQuery,
        response: responses({ 200: Type.Ref(TokenPageSchema) }),
      },
    },
    async (req) => listTokenPage(db, req.query),
  );
  app.delete(
    '/api/v1/tokens/:id',
    {
      config: admin,
      schema: { tags, params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }), response: responses({ 200: Type.Ref(TokenSchema) }) },
    },
    async (req) => {
      const revoked = await revokeToken(db, req.params.id, req.actor);
      await deps.tokens?.refresh();
      return revoked;
    },
  );
};
