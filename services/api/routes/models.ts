import { Type } from '@sinclair/typebox';
import { PermanentError } from '../../core/errors.ts';
import { getModelVersion, promoteModel, rollbackModel } from '../../detector/index.ts';
import { MODEL_KINDS, MODEL_STATES } from '../../store/index.ts';
import { ModelVersionPageSchema, ModelVersionSchema, responses } from '../api-schemas.ts';
import type { RouteModule } from '../deps.ts';
import { listModelPage, modelVersionJson } from '../repositories/index.ts';
import { IdParams, oneOf, pageQuery, Text } from '../schemas.ts';

const tags = ['models'];

const ModelQuery = Type.Object({
  kind: Type.Optional(oneOf(MODEL_KINDS, 'Only versions of this kind.')),
  state: Type.Optional(oneOf(MODEL_STATES, 'Only versions in this state.')),
  service: Type.Optional(Text({ maxLength: 256, description: 'Only versions of this service (calibrations are per service).' })),
  ...pageQuery(50, 500),
});

const DecisionBody = Type.Object(
  { reason: Type.Optional(Text({ maxLength: 2000, description: 'Why (kept on the version and in the audit log).' })) },
  { additionalProperties: false },
);

/** The admin decisions on a version: the path's last segment, the route's description, and the registry call that makes it. */
const MODEL_DECISIONS = [
  [
    'promote',
    'Make this neural version (shadow or retired) the active one; the active one is retired. Every detector replica runs it within ZEROOPS_DETECTOR_MODEL_POLL_SECONDS. 409 when it is already active, or for a calibration or baselines version (they follow labels and configuration). Audited.',
    promoteModel,
  ],
  [
    'rollback',
    'Roll the active version back: the version it came from (its parent, else the last one promoted before it was made) becomes active again and this one is retired. Answers the version now active. 409 when this version is not the active one, or is not a neural version. Audited.',
    rollbackModel,
  ],
] as const;

/** GET /api/v1/models (viewer), GET /api/v1/models/:id (viewer), POST /api/v1/models/:id/promote and /rollback (admin, audited). */
export const modelRoutes: RouteModule = (app, deps) => {
  const db = deps.store.db;
  app.get(
    '/api/v1/models',
    {
      config: { access: 'viewer' },
      schema: {
        tags,
        description:
          'Versions of the models the detector runs (neural weights, per-service calibrations from labels, baseline parameters), newest first: state, parent, reason, quality figures.',
        querystring: ModelQuery,
        response: responses({ 200: Type.Ref(ModelVersionPageSchema) }),
      },
    },
    async (req) => listModelPage(db, req.query),
  );
  app.get(
    '/api/v1/models/:id',
    { config: { access: 'viewer' }, schema: { tags, params: IdParams, response: responses({ 200: Type.Ref(ModelVersionSchema) }) } },
    async (req) => {
      const row = await getModelVersion(db, req.params.id);
      if (!row)
        throw new PermanentError('ZEROOPS_NOT_FOUND', `no model version with id "${req.params.id}"; GET /api/v1/models lists them`, { statusCode: 404 });
      return modelVersionJson(row);
    },
  );
  for (const [action, description, decide] of MODEL_DECISIONS) {
    app.post(
      `/api/v1/models/:id/${action}`,
      {
        config: { access: 'admin' },
        schema: { tags, description, params: IdParams, body: Type.Optional(DecisionBody), response: responses({ 200: Type.Ref(ModelVersionSchema) }) },
      },
      async (req) => modelVersionJson(await decide(db, req.params.id, req.actor, req.body?.reason ?? '')),
    );
  }
};
