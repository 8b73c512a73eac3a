import { describeError } from '../../core/errors.ts';
import { getIncident, type LabelResult, type LabelView, labelIncident, labelMissed } from '../../reports/index.ts';
import { responses } from '../api-schemas.ts';
import type { ApiDeps, RouteModule } from '../deps.ts';
import { IncidentFeedbackBody, IncidentWithLabelsSchema, LabelSchema, MissedFeedbackBody, WhoamiSchema } from '../report-schemas.ts';
import { IdParams } from '../schemas.ts';

const tags = ['incidents'];

function labelDeps(deps: ApiDeps) {
  return { db: deps.store.db, bus: deps.bus, feedbackTopic: deps.topics.feedback };
}

/** A label is stored before it is published: a bus that is down does not lose it (it is counted and logged). */
function stored(r: LabelResult, log: { warn(o: object, m: string): void }, deps: ApiDeps): LabelView {
  if (r.publishError !== undefined) {
    deps.telemetry.count('zeroops.api.feedback.unpublished', {});
    log.warn({ err: describeError(r.publishError), label: r.label.id }, 'label stored but not published on the feedback topic');
  }
  return r.label;
}

/** `GET /api/v1/incidents/:id`, labels (`POST /api/v1/incidents/:id/feedback`, `POST /api/v1/feedback`) and `GET /api/v1/whoami`. */
export const incidentDetailRoutes: RouteModule = (app, deps) => {
  const db = deps.store.db;
  app.get(
    '/api/v1/incidents/:id',
    {
      config: { access: 'viewer' },
      schema: { tags, description: 'One incident with its labels.', params: IdParams, response: responses({ 200: IncidentWithLabelsSchema }) },
    },
    async (req) => getIncident(db, req.params.id),
  );
  app.post(
    '/api/v1/incidents/:id/feedback',
    {
      config: { access: 'operator' },
      schema: {
        tags,
        description: 'Labels an incident true or false positive: stored, audited and published on the `feedback` topic for the trainer.',
        params: IdParams,
        body: IncidentFeedbackBody,
        response: responses({ 201: LabelSchema }),
      },
    },
    async (req, reply) => {
      const label = stored(await labelIncident(labelDeps(deps), req.params.id, { ...req.body, actor: req.actor }), req.log, deps);
      return reply.status(201).send(label);
    },
  );
  app.post(
    '/api/v1/feedback',
    {
      config: { access: 'operator' },
      schema: {
        tags,
        description: 'Reports an anomaly the detector missed (label `missed`): a service and the time range it was wrong.',
        body: MissedFeedbackBody,
        response: responses({ 201: LabelSchema }),
      },
    },
    async (req, reply) => {
      const { service, from, to, note } = req.body;
      const input = { service, from: new Date(from), to: new Date(to), actor: req.actor, ...(note === undefined ? {} : { note }) };
      const label = stored(await labelMissed(labelDeps(deps), input), req.log, deps);
      return reply.status(201).send(label);
    },
  );
  app.get(
    '/api/v1/whoami',
    {
      config: { access: 'public' },
      schema: { tags: ['auth'], description: 'The role of the token sent, and whether the API needs tokens.', response: responses({ 200: WhoamiSchema }) },
    },
    async (req) => {
      const tokens = deps.tokens;
      const enforced = tokens?.apiEnforced() ?? false;
      const p = tokens?.authenticate(req.headers.authorization);
      return { role: p && typeof p === 'object' ? p.role : null, tokensConfigured: enforced };
    },
  );
};
