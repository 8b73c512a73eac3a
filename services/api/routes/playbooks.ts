import { Type } from '@sinclair/typebox';
import { parseAllDocuments } from 'yaml';
import type { AnomalyEvent } from '../../bus/messages.ts';
import { PermanentError } from '../../core/errors.ts';
import {
  ANOMALY_KINDS,
  applyBundle,
  assertPlaybook,
  completeAnomaly,
  createPlaybook,
  deletePlaybook,
  dryRun,
  getPlaybook,
  listPlaybooks,
  listVersions,
  type Playbook,
  PlaybookCatalog,
  type PlaybookProblem,
  PlaybookSchema,
  parseDocument as parseYamlOrJson,
  pastAnomaly,
  SEVERITIES,
  updatePlaybook,
  validatePlaybook,
} from '../../executor/index.ts';
import { playbookAutonomy } from '../../trainer/index.ts';
import type { ApiDeps, RouteModule } from '../deps.ts';
import { assertPlainData } from '../plain-data.ts';
import { bodyCheckedElsewhere, IdParams, Text } from '../schemas.ts';

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];
const tags = ['playbooks'];
/** Most playbooks one bundle may hold. */
const MAX_BUNDLE = 500;
const literals = (values: readonly string[]) => Type.Union(values.map((v) => Type.Literal(v)));

/** A YAML or JSON document (or an already parsed JSON body), checked for NUL and depth before the playbook validator walks it. */
function parseDocument(body: unknown): unknown {
  return assertPlainData(parseYamlOrJson(body));
}

function invalidYaml(message: string, cause?: unknown): PermanentError {
  return new PermanentError('ZEROOPS_PLAYBOOK_INVALID', `not valid YAML: ${message}`, { cause, details: [{ path: '/', message }] });
}

/** Every document of a multi-document YAML bundle, each with aliases bounded as for single documents. */
function parseYamlDocuments(body: string): unknown[] {
  const docs = parseAllDocuments(body);
  if (!Array.isArray(docs)) return [];
  if (docs.length > MAX_BUNDLE) throw invalidYaml(`a bundle holds at most ${MAX_BUNDLE} documents, got ${docs.length}`);
  return docs.map((d, i) => {
    if (d.errors.length > 0) throw invalidYaml(`document ${i}: ${d.errors[0]?.message}`);
    try {
      return assertPlainData(d.toJS({ maxAliasCount: 100 }), `body/playbooks/${i}`);
    } catch (err) {
      if (err instanceof PermanentError) throw err;
      throw invalidYaml(`document ${i}: ${(err as Error).message.split('\n')[0]}`, err);
    }
  });
}

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
      severity: literals(SEVERITIES),
      kind: literals(ANOMALY_KINDS),
      evidence: Type.Array(Type.Object({ feature: Text(), observed: Type.Number(), expected: Type.Number(), deviation: Type.Number() }), { maxItems: 100 }),
      modelVersion: Text(),
      episodeState: literals(['open', 'ongoing', 'closed']),
      rootCauses: Type.Array(Type.Object({ service: Text(), score: Type.Number(), reason: Text() }), { maxItems: 100 }),
      attributes: Type.Record(Text({ maxLength: 200 }), Text(), { maxProperties: 100 }),
      detectedUnixMs: Type.Integer({ minimum: 0, maximum: 253_402_300_799_999 }),
      flapping: Type.Boolean(),
    },
    { additionalProperties: false },
  ),
);

function parseBundle(body: unknown): unknown[] {
  if (typeof body === 'string' && body.includes('\n---')) return parseYamlDocuments(body);
  const doc = parseDocument(body);
  const list = Array.isArray(doc) ? doc : doc && typeof doc === 'object' ? (doc as { playbooks?: unknown }).playbooks : undefined;
  if (!Array.isArray(list)) {
    throw new PermanentError('ZEROOPS_PLAYBOOK_INVALID', 'a bundle is a list of playbooks, {"playbooks": [...]}, or YAML documents separated by ---', {
      details: [{ path: '/', message: 'expected a list of playbooks' }],
    });
  }
  if (list.length > MAX_BUNDLE) {
    throw new PermanentError('ZEROOPS_PLAYBOOK_INVALID', `a bundle holds at most ${MAX_BUNDLE} playbooks, got ${list.length}`, {
      details: [{ path: '/playbooks', message: `at most ${MAX_BUNDLE} playbooks` }],
    });
  }
  return list;
}

function validateBundle(docs: unknown[], deps: ApiDeps): Playbook[] {
  const problems: PlaybookProblem[] = [];
  const out: Playbook[] = [];
  const names = new Set<string>();
  for (const [i, d] of docs.entries()) {
    const r = validatePlaybook(d, deps.config);
    if (!r.ok) {
      problems.push(...r.problems.map((p) => ({ path: `/playbooks/${i}${p.path === '/' ? '' : p.path}`, message: p.message })));
      continue;
    }
    if (names.has(r.playbook.name)) problems.push({ path: `/playbooks/${i}/name`, message: `duplicate name "${r.playbook.name}" in the bundle` });
    names.add(r.playbook.name);
    out.push(r.playbook);
  }
  if (problems.length > 0) {
    const summary = problems
      .slice(0, 5)
      .map((p) => `${p.path}: ${p.message}`)
      .join('; ');
    throw new PermanentError('ZEROOPS_PLAYBOOK_INVALID', `bundle is invalid (${problems.length} problem(s)): ${summary}`, { details: problems });
  }
  return out;
}

/** /api/v1/playbooks: CRUD with immutable versions, validate, apply (bundle sync), dry-run. JSON or YAML bodies. */
export const playbookRoutes: RouteModule = (app, deps) => {
  const db = deps.store.db;
  for (const t of YAML_TYPES) if (!app.hasContentTypeParser(t)) app.addContentTypeParser(t, { parseAs: 'string' }, (_req, body, done) => done(null, body));
  // Playbook bodies are validated by the executor's validator (every problem, with its path); params still by schema.
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
    async (req) => applyBundle(db, validateBundle(parseBundle(req.body), deps), req.actor, req.query.prune),
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
