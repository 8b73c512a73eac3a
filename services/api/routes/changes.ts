import { Type } from '@sinclair/typebox';
import { assertChangeRequest, ChangeRequestSchema, type ChangeSpec, cancelChange, createChange, getChange, runChangeNow } from '../../executor/index.ts';
import { CHANGE_STATES } from '../../store/index.ts';
import { ChangePageSchema, ChangeSchema, responses } from '../api-schemas.ts';
import type { RouteModule } from '../deps.ts';
import { playbookBodyValidator } from '../playbook-bodies.ts';
import { listChangePage } from '../repositories/index.ts';
import { IdParams, oneOf, pageQuery, Text } from '../schemas.ts';

const tags = ['changes'];
const one = responses({ 200: Type.Ref(ChangeSchema) });

/**
 * /api/v1/changes: managed rollouts. A change (an http deploy or a
 * kubernetes rollout step, with its undo) is applied in the service's quiet
 * window, watched against its pre-change baseline, and undone on a regression.
 */
export const changeRoutes: RouteModule = (app, deps) => {
  const db = deps.store.db;
  const forecast = { historySeconds: deps.config.forecastHistorySeconds, coverage: deps.config.forecastCoverage, windowSeconds: deps.config.windowSeconds };
  app.post(
    '/api/v1/changes',
    {
      validatorCompiler: playbookBodyValidator((body) => assertChangeRequest(body, deps.config)),
      config: { access: 'operator' },
      schema: {
        tags,
        description:
          'Request a managed change: zeroops picks the quiet window (load forecast, within maxDelaySeconds), applies `change`, watches the service for watchSeconds against its pre-change baseline, and runs `undo` on a regression (error ratio or latency worse beyond noise, or an anomaly episode opened on the service). 201 with the change; 400 ZEROOPS_CHANGE_INVALID saying what to fix.',
        body: ChangeRequestSchema,
        response: responses({ 201: Type.Ref(ChangeSchema) }),
      },
    },
    async (req, reply) => reply.status(201).send(await createChange(db, req.body as ChangeSpec, req.actor, forecast)),
  );
  app.get(
    '/api/v1/changes',
    {
      config: { access: 'viewer' },
      schema: {
        tags,
        description: 'Managed changes, newest first.',
        querystring: Type.Object({
          service: Type.Optional(Text({ minLength: 1, maxLength: 200 })),
          state: Type.Optional(oneOf(CHANGE_STATES)),
          ...pageQuery(50, 500),
        }),
        response: responses({ 200: Type.Ref(ChangePageSchema) }),
      },
    },
    async (req) => listChangePage(db, req.query),
  );
  app.get('/api/v1/changes/:id', { config: { access: 'viewer' }, schema: { tags, params: IdParams, response: one } }, async (req) =>
    getChange(db, req.params.id),
  );
  app.post(
    '/api/v1/changes/:id/run-now',
    {
      config: { access: 'operator' },
      schema: { tags, description: 'Applies a scheduled change now instead of in its quiet window; 409 unless scheduled.', params: IdParams, response: one },
    },
    async (req) => runChangeNow(db, req.params.id, req.actor),
  );
  app.post(
    '/api/v1/changes/:id/cancel',
    {
      config: { access: 'operator' },
      schema: { tags, description: 'Cancels a scheduled change; 409 once it is being applied or watched.', params: IdParams, response: one },
    },
    async (req) => cancelChange(db, req.params.id, req.actor),
  );
};
