import { Type } from '@sinclair/typebox';
import { createToken, listTokens, revokeToken, TOKEN_NAME_PATTERN } from '../../auth/index.ts';
import { TOKEN_ROLES } from '../../store/index.ts';
import type { RouteModule } from '../deps.ts';

const tags = ['tokens'];
const admin = { access: 'admin' as const };
const TokenInfo = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  createdBy: Type.String(),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedBy: Type.Union([Type.String(), Type.Null()]),
});

/** /api/v1/tokens (admin): create (the secret is in that one response), list (no secrets), revoke. */
export const tokenRoutes: RouteModule = (app, deps) => {
  const db = deps.store.db;
  app.post(
    '/api/v1/tokens',
    {
      config: admin,
      schema: {
        tags,
        description: 'Create an API (viewer, operator, admin) or OTLP ingest token. The token is in this response only; zeroops keeps its SHA-256.',
        body: Type.Object(
          { name: Type.String({ pattern: TOKEN_NAME_PATTERN }), role: Type.Union(TOKEN_ROLES.map((r) => Type.Literal(r))) },
          { additionalProperties: false },
        ),
        response: { 201: Type.Intersect([TokenInfo, Type.Object({ token: Type.String() })]) },
      },
    },
    async (req, reply) => {
      const created = await createToken(db, req.body.name, req.body.role, req.actor);
      await deps.tokens?.refresh();
      return reply.status(201).send(created);
    },
  );
  app.get('/api/v1/tokens', { config: admin, schema: { tags, response: { 200: Type.Object({ items: Type.Array(TokenInfo) }) } } }, async () => ({
    items: await listTokens(db),
  }));
  app.delete(
    '/api/v1/tokens/:id',
    { config: admin, schema: { tags, params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) }), response: { 200: TokenInfo } } },
    async (req) => {
      const revoked = await revokeToken(db, req.params.id, req.actor);
      await deps.tokens?.refresh();
      return revoked;
    },
  );
};
