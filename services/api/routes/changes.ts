import { Type } from '@sinclair/typebox';
import { assertChangeRequest, ChangeRequestSchema, type ChangeSpec, cancelChange, createChange, getChange, listChanges, runChangeNow } from '../../executor/index.ts';
import { CHANGE_STATES } from '../../store/index.ts';
import { responses } from '../api-schemas.ts';
import type { RouteModule } from '../deps.ts';
import { playbookBodyValidator } from '../playbook-bodies.ts';
import { IdParams, oneOf, Text } from '../schemas.ts';

const tags = ['changes'];
// Rows hold Dates; the serializer writes them as RFC 3339 strings.
const Time = (description?: string) => Type.Unsafe<Date | string>({ type: 'string', format: 'date-time', ...(description ? { description } : {}) });
const Nullable = (t: ReturnType<typeof Time>) => Type.Union([t, Type.Null()]);

/** A managed change as the API shows it. */
const ChangeSchema = Type.Object({
  id: Type.String(),
  service: Type.String(),
  spec: Type.Unknown({ description: 'The request as validated (ChangeRequest), defaults filled in.' }),
  state: Type.String({ description: `${CHANGE_STATES.join(', ')}.` }),
  reason: Type.String({ description: 'Why it is in its state: the regression found, the error of a failed step, kept after the watch...' }),
  scheduledFor: Time('When the change step runs: the start of the quiet window chosen from the load forecast, or now.'),
  scheduleReason: Type.String({ description: 'Why then (the quiet window, no forecast yet, run now by an operator).' }),
  createdBy: Type.String(),
  createdAt: Time(),
  updatedAt: Time(),
  appliedAt: Nullable(Time('When the change step succeeded (the watch started).')),
  watchUntil: Nullable(Time()),
  finishedAt: Nullable(Time()),
  baseline: Type.Unknown({ description: 'The pre-change signals per feature (mean, spread, windows).' }),
  verdict: Type.Unknown({ description: 'The latest comparison of the watch against the baseline.' }),
  applyAttempts: Type.Integer(),
  undoAttempts: Type.Integer(),
  leaseOwner: Type.Union([Type.String(), Type.Null()]),
  leaseExpiresAt: Nullable(Time()),
});
const one = responses({ 200: ChangeSchema });

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
        response: responses({ 201: ChangeSchema }),
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
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
        }),
        response: responses({ 200: Type.Object({ items: Type.Array(ChangeSchema) }) }),
      },
    },
    async (req) => ({ items: await listChanges(db, req.query) }),
  );
  app.get('/api/v1/changes/:id', { config: { access: 'viewer' }, schema: { tags, params: IdParams, response: one } }, async (req) => getChange(db, req.params.id));
  app.post(
    '/api/v1/changes/:id/run-now',
    { config: { access: 'operator' }, schema: { tags, description: 'Applies a scheduled change now instead of in its quiet window; 409 unless scheduled.', params: IdParams, response: one } },
    async (req) => runChangeNow(db, req.params.id, req.actor),
  );
  app.post(
    '/api/v1/changes/:id/cancel',
    { config: { access: 'operator' }, schema: { tags, description: 'Cancels a scheduled change; 409 once it is being applied or watched.', params: IdParams, response: one } },
    async (req) => cancelChange(db, req.params.id, req.actor),
  );
};
