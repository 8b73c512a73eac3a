import { Type } from '@sinclair/typebox';
import type { AnomalyEvent } from '../../bus/messages.ts';
import { AnomalyKindSchema, EpisodeStateSchema, SeveritySchema } from '../../core/contracts/index.ts';
import { completeAnomaly, dryRun, pastAnomaly } from '../../executor/index.ts';
import {
  applyBundle,
  createPlaybook,
  deletePlaybook,
  getPlaybook,
  listPlaybooks,
  listVersions,
  type Playbook,
  PlaybookCatalog,
  updatePlaybook,
} from '../../playbooks/index.ts';
import { playbookAutonomy } from '../../trainer/index.ts';
import {
  ApplyResultSchema,
  DryRunResultSchema,
  PlaybookPageSchema,
  PlaybookSchemaOut,
  PlaybookSpecSchema,
  PlaybookVersionPageSchema,
  responses,
} from '../api-schemas.ts';
import type { ApiApp } from '../app.ts';
import type { ApiDeps, RouteModule } from '../deps.ts';
import { bundleValidator, parseYamlBody, playbookValidator, YAML_TYPES } from '../playbook-bodies.ts';
import { listPlaybookPage } from '../repositories/index.ts';
import { IdParams, oneOf, pageQuery, Text } from '../schemas.ts';

const tags = ['playbooks'];
const Spec = Type.Ref(PlaybookSpecSchema);
const Bundle = Type.Union([Type.Array(Spec), Type.Object({ playbooks: Type.Array(Spec) })], {
  description: 'A list, {"playbooks": [...]}, or YAML documents.',
});
const one = responses({ 200: Type.Ref(PlaybookSchemaOut) });
const time = { minimum: 0, maximum: 253_402_300_799_999 };

/** The anomaly a dry-run may describe instead of naming a past one: any subset of an anomaly event's fields, typed. */
const DryRunAnomaly = Type.Partial(
  Type.Object(
    {
      id: Text({ maxLength: 200 }),
      service: Text({ maxLength: 200 }),
      episodeId: Text({ maxLength: 200 }),
      windowStartUnixMs: Type.Integer(time),
      windowEndUnixMs: Type.Integer(time),
      score: Type.Number({ minimum: 0, maximum: 1 }),
      likelihood: Type.Number({ minimum: 0, maximum: 1 }),
      severity: SeveritySchema,
      kind: AnomalyKindSchema,
      evidence: Type.Array(Type.Object({ feature: Text(), observed: Type.Number(), expected: Type.Number(), deviation: Type.Number() }), { maxItems: 100 }),
      modelVersion: Text(),
      episodeState: EpisodeStateSchema,
      rootCauses: Type.Array(Type.Object({ service: Text(), score: Type.Number(), reason: Text() }), { maxItems: 100 }),
      attributes: Type.Record(Text({ maxLength: 200 }), Text(), { maxProperties: 100 }),
      detectedUnixMs: Type.Integer(time),
      flapping: Type.Boolean(),
    },
    { additionalProperties: false },
  ),
);

const DryRunBody = Type.Object(
  { anomalyId: Type.Optional(Text({ minLength: 1, maxLength: 200 })), anomaly: Type.Optional(DryRunAnomaly) },
  { additionalProperties: false },
);

/**
 * Playbook writes (create, replace, validate, apply), in a scope of their own where YAML bodies (and text/plain)
 * are parsed to data: the body is then checked by the playbook language's validator, every problem with its path.
 */
function playbookWrites(app: ApiApp, deps: ApiDeps): void {
  const db = deps.store.db;
  app.removeContentTypeParser(YAML_TYPES);
  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, parseYamlBody);
  const write = { validatorCompiler: playbookValidator(deps.config) };
  const [admin, operator] = [{ access: 'admin' as const }, { access: 'operator' as const }];
  app.post(
    '/api/v1/playbooks',
    {
      ...write,
      config: admin,
      schema: { tags, description: 'Create a playbook (JSON or YAML); version 1.', body: Spec, response: responses({ 201: Type.Ref(PlaybookSchemaOut) }) },
    },
    async (req, reply) => reply.status(201).send(await createPlaybook(db, req.body as Playbook, req.actor)),
  );
  app.put(
    '/api/v1/playbooks/:id',
    { ...write, config: admin, schema: { tags, description: 'Replace a playbook: a new immutable version.', body: Spec, params: IdParams, response: one } },
    async (req) => (await updatePlaybook(db, req.params.id, req.body as Playbook, req.actor)).playbook,
  );
  app.post(
    '/api/v1/playbooks/validate',
    {
      ...write,
      config: operator,
      schema: {
        tags,
        description: '200 with the normalized playbook, or 400 listing every problem.',
        body: Spec,
        response: responses({
          200: Type.Object({ valid: Type.Literal(true), playbook: Type.Unknown({ description: 'The playbook with defaults filled in.' }) }),
        }),
      },
    },
    async (req) => ({ valid: true as const, playbook: req.body }),
  );
  app.post(
    '/api/v1/playbooks/apply',
    {
      validatorCompiler: bundleValidator(deps.config),
      config: admin,
      schema: {
        tags,
        description: 'Make the live playbooks equal to the bundle (by name); prune=false keeps playbooks not in it.',
        querystring: Type.Object({ prune: Type.Boolean({ default: true, description: 'true or false; false keeps playbooks not in the bundle.' }) }),
        body: Bundle,
        response: responses({ 200: Type.Ref(ApplyResultSchema) }),
      },
    },
    async (req) => applyBundle(db, req.body as unknown as Playbook[], req.actor, req.query.prune),
  );
}

/** /api/v1/playbooks: list (paged), read, versions, delete, dry-run (JSON bodies), and the writes of {@link playbookWrites}. */
export const playbookRoutes: RouteModule = async (app, deps) => {
  const db = deps.store.db;
  const [admin, operator, viewer] = [{ access: 'admin' as const }, { access: 'operator' as const }, { access: 'viewer' as const }];
  // Elsewhere a YAML body stays text, which a JSON schema refuses with a 400 naming the body.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_req, body, done) => done(null, body));
  await app.register(async (writes) => playbookWrites(writes as ApiApp, deps));
  app.get(
    '/api/v1/playbooks',
    {
      config: viewer,
      schema: {
        tags,
        description: 'Live playbooks with their current version, newest first.',
        querystring: Type.Object({ mode: Type.Optional(oneOf(['observe', 'suggest', 'auto'])), ...pageQuery(100, 1000) }),
        response: responses({ 200: Type.Ref(PlaybookPageSchema) }),
      },
    },
    async (req) => listPlaybookPage(db, req.query),
  );
  app.get('/api/v1/playbooks/:id', { config: viewer, schema: { tags, params: IdParams, response: one } }, async (req) => {
    const pb = await getPlaybook(db, req.params.id);
    return { ...pb, autonomy: await playbookAutonomy(db, pb.id) };
  });
  app.delete('/api/v1/playbooks/:id', { config: admin, schema: { tags, params: IdParams, response: responses({ 204: Type.Null() }) } }, async (req, reply) => {
    await deletePlaybook(db, req.params.id, req.actor);
    return reply.status(204).send(null);
  });
  app.get(
    '/api/v1/playbooks/:id/versions',
    {
      config: viewer,
      schema: {
        tags,
        description: 'Every version, newest first, in one page.',
        params: IdParams,
        response: responses({ 200: Type.Ref(PlaybookVersionPageSchema) }),
      },
    },
    async (req) => ({ items: await listVersions(db, req.params.id), nextCursor: null }),
  );
  app.post(
    '/api/v1/playbooks/:id/dry-run',
    {
      config: operator,
      schema: {
        tags,
        description: 'Plan and guardrail decisions for a given or a past anomaly; no side effects.',
        params: IdParams,
        body: DryRunBody,
        response: responses({ 200: Type.Ref(DryRunResultSchema) }),
      },
    },
    async (req) => {
      const p = await getPlaybook(db, req.params.id);
      const { anomalyId, anomaly } = req.body;
      const a = anomalyId ? await pastAnomaly(db, anomalyId) : completeAnomaly((anomaly ?? {}) as Partial<AnomalyEvent>);
      return dryRun(db, p, a, deps.config, new PlaybookCatalog(await listPlaybooks(db)));
    },
  );
};
