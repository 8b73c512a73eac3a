import { Type } from '@sinclair/typebox';
import type { AnomalyEvent } from '../../bus/messages.ts';
import { AnomalyKindSchema, EpisodeStateSchema, SeveritySchema } from '../../core/contracts/index.ts';
import { completeAnomaly, dryRun, pastAnomaly } from '../../executor/index.ts';
import {
  applyBundle,
  assertPlaybook,
  createPlaybook,
  deletePlaybook,
  getPlaybook,
  listPlaybooks,
  listVersions,
  PlaybookCatalog,
  PlaybookSchema,
  parseBundle,
  parsePlaybookBody as parseDocument,
  updatePlaybook,
  validateBundle,
} from '../../playbooks/index.ts';
import { playbookAutonomy } from '../../trainer/index.ts';
import type { RouteModule } from '../deps.ts';
import { bodyCheckedElsewhere, IdParams, Text } from '../schemas.ts';

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];
const tags = ['playbooks'];

/** The anomaly a dry-run may describe instead of naming a past one: any subset of an anomaly event's fields, typed. */
const DryRunAnomaly = Type.Partial(
  Type.Object(
    {
      id: Text({ maxLength: 200 }),
      service: Text({ maxLength: 200 }),
      episodeId: Text({ maxLength: 200 }),
      windowStartUnixMs: Type.Integer({ minimum: 0, maximum: 253_402_300_799_999 }),
      windowEndUnixMs: Type.Integer({ minimum: 0, maximum: 253_402_300_799_999 }),
      score: Type.Number({ minimum: 0, maximum: 1 }),
      likelihood: Type.Number({ minimum: 0, maximum: 1 }),
      severity: SeveritySchema,
      kind: AnomalyKindSchema,
      evidence: Type.Array(Type.Object({ feature: Text(), observed: Type.Number(), expected: Type.Number(), deviation: Type.Number() }), { maxItems: 100 }),
      modelVersion: Text(),
      episodeState: EpisodeStateSchema,
      rootCauses: Type.Array(Type.Object({ service: Text(), score: Type.Number(), reason: Text() }), { maxItems: 100 }),
      attributes: Type.Record(Text({ maxLength: 200 }), Text(), { maxProperties: 100 }),
      detectedUnixMs: Type.Integer({ minimum: 0, maximum: 253_402_300_799_999 }),
      flapping: Type.Boolean(),
    },
    { additionalProperties: false },
  ),
);

/** /api/v1/playbooks: CRUD with immutable versions, validate, apply (bundle sync), dry-run. JSON or YAML bodies. */
export const playbookRoutes: RouteModule = (app, deps) => {
  const db = deps.store.db;
  for (const t of YAML_TYPES) if (!app.hasContentTypeParser(t)) app.addContentTypeParser(t, { parseAs: 'string' }, (_req, body, done) => done(null, body));
  // Playbook bodies are validated by services/playbooks' validator (every problem, with its path); params still by schema.
  const write = { validatorCompiler: bodyCheckedElsewhere };
  const admin = { access: 'admin' as const };
  const viewer = { access: 'viewer' as const };
  const operator = { access: 'operator' as const };

  app.post(
    '/api/v1/playbooks',
    { ...write, config: admin, schema: { tags, description: 'Create a playbook (JSON or YAML); version 1.', body: PlaybookSchema } },
    async (req, reply) => {
      const spec = assertPlaybook(parseDocument(req.body), deps.config);
      return reply.status(201).send(await createPlaybook(db, spec, req.actor));
    },
  );
  app.get('/api/v1/playbooks', { config: viewer, schema: { tags, description: 'Live playbooks with their current version.' } }, async () => ({
    items: await listPlaybooks(db),
  }));
  app.get('/api/v1/playbooks/:id', { config: viewer, schema: { tags, params: IdParams } }, async (req) => {
    const pb = await getPlaybook(db, req.params.id);
    return { ...pb, autonomy: await playbookAutonomy(db, pb.id) };
  });
  app.put(
    '/api/v1/playbooks/:id',
    { ...write, config: admin, schema: { tags, description: 'Replace a playbook: a new immutable version.', body: PlaybookSchema, params: IdParams } },
    async (req) => {
      const spec = assertPlaybook(parseDocument(req.body), deps.config);
      return (await updatePlaybook(db, req.params.id, spec, req.actor)).playbook;
    },
  );
  app.delete('/api/v1/playbooks/:id', { config: admin, schema: { tags, params: IdParams } }, async (req, reply) => {
    await deletePlaybook(db, req.params.id, req.actor);
    return reply.status(204).send();
  });
  app.get('/api/v1/playbooks/:id/versions', { config: viewer, schema: { tags, params: IdParams } }, async (req) => ({
    items: await listVersions(db, req.params.id),
  }));
  app.post(
    '/api/v1/playbooks/validate',
    { ...write, config: operator, schema: { tags, description: '200 with the normalized playbook, or 400 listing every problem.', body: PlaybookSchema } },
    async (req) => ({
      valid: true,
      playbook: assertPlaybook(parseDocument(req.body), deps.config),
    }),
  );
  app.post(
    '/api/v1/playbooks/apply',
    {
      config: admin,
      schema: {
        tags,
        description: 'Make the live playbooks equal to the bundle (by name); prune=false keeps playbooks not in it.',
        querystring: Type.Object({ prune: Type.Boolean({ default: true, description: 'true or false; false keeps playbooks not in the bundle.' }) }),
      },
    },
    async (req) => applyBundle(db, validateBundle(parseBundle(req.body), deps.config), req.actor, req.query.prune),
  );
  app.post(
    '/api/v1/playbooks/:id/dry-run',
    {
      config: operator,
      schema: {
        tags,
        description: 'Plan and guardrail decisions for a given or a past anomaly; no side effects.',
        params: IdParams,
        body: Type.Object(
          { anomalyId: Type.Optional(Text({ minLength: 1, maxLength: 200 })), anomaly: Type.Optional(DryRunAnomaly) },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      const p = await getPlaybook(db, req.params.id);
      const body = req.body;
      const a = body.anomalyId ? await pastAnomaly(db, body.anomalyId) : completeAnomaly((body.anomaly ?? {}) as Partial<AnomalyEvent>);
      return dryRun(db, p, a, deps.config, new PlaybookCatalog(await listPlaybooks(db)));
    },
  );
};
