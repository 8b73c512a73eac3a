import { Type } from '@sinclair/typebox';
import { parseAllDocuments } from 'yaml';
import type { AnomalyEvent } from '../../bus/messages.ts';
import { PermanentError } from '../../core/errors.ts';
import {
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
  parseDocument,
  pastAnomaly,
  updatePlaybook,
  validatePlaybook,
} from '../../executor/index.ts';
import type { ApiDeps, RouteModule } from '../deps.ts';

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
// Bodies are validated by the executor's own validator (every problem, with its path), not by fastify.
const noValidation = () => () => true;
const tags = ['playbooks'];

function parseBundle(body: unknown): unknown[] {
  if (typeof body === 'string' && body.includes('\n---')) {
    const docs = parseAllDocuments(body);
    if (!Array.isArray(docs)) return [docs];
    return docs.map((d) => {
      if (d.errors.length > 0)
        throw new PermanentError('ZEROOPS_PLAYBOOK_INVALID', `not valid YAML: ${d.errors[0]?.message}`, {
          details: [{ path: '/', message: d.errors[0]?.message }],
        });
      return d.toJS();
    });
  }
  const doc = parseDocument(body);
  if (Array.isArray(doc)) return doc;
  if (doc && typeof doc === 'object' && Array.isArray((doc as { playbooks?: unknown }).playbooks)) return (doc as { playbooks: unknown[] }).playbooks;
  throw new PermanentError('ZEROOPS_PLAYBOOK_INVALID', 'a bundle is a list of playbooks, {"playbooks": [...]}, or YAML documents separated by ---', {
    details: [{ path: '/', message: 'expected a list of playbooks' }],
  });
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
  if (problems.length > 0) throw new PermanentError('ZEROOPS_PLAYBOOK_INVALID', `bundle is invalid (${problems.length} problem(s))`, { details: problems });
  return out;
}

/** /api/v1/playbooks: CRUD with immutable versions, validate, apply (bundle sync), dry-run. JSON or YAML bodies. */
export const playbookRoutes: RouteModule = (app, deps) => {
  const db = deps.store.db;
  for (const t of YAML_TYPES) if (!app.hasContentTypeParser(t)) app.addContentTypeParser(t, { parseAs: 'string' }, (_req, body, done) => done(null, body));
  const write = { validatorCompiler: noValidation };
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
  app.get('/api/v1/playbooks/:id', { config: viewer, schema: { tags, params: IdParams } }, async (req) => getPlaybook(db, req.params.id));
  app.put(
    '/api/v1/playbooks/:id',
    { ...write, config: admin, schema: { tags, description: 'Replace a playbook: a new immutable version.', body: PlaybookSchema, params: IdParams } },
    async (req) => {
      const spec = assertPlaybook(parseDocument(req.body), deps.config);
      return (await updatePlaybook(db, (req.params as { id: string }).id, spec, req.actor)).playbook;
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
      ...write,
      config: admin,
      schema: {
        tags,
        description: 'Make the live playbooks equal to the bundle (by name); prune=false keeps playbooks not in it.',
        querystring: Type.Object({ prune: Type.Optional(Type.Boolean()) }),
      },
    },
    async (req) => {
      const prune = (req.query as { prune?: unknown }).prune !== 'false' && (req.query as { prune?: unknown }).prune !== false;
      return applyBundle(db, validateBundle(parseBundle(req.body), deps), req.actor, prune);
    },
  );
  app.post(
    '/api/v1/playbooks/:id/dry-run',
    {
      config: operator,
      schema: {
        tags,
        description: 'Plan and guardrail decisions for a given or a past anomaly; no side effects.',
        params: IdParams,
        body: Type.Object({ anomalyId: Type.Optional(Type.String()), anomaly: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }),
      },
    },
    async (req) => {
      const p = await getPlaybook(db, req.params.id);
      const body = req.body;
      const a = body.anomalyId ? await pastAnomaly(db, body.anomalyId) : completeAnomaly((body.anomaly ?? {}) as Partial<AnomalyEvent>);
      return dryRun(db, p, a, deps.config.secrets, new PlaybookCatalog(await listPlaybooks(db)));
    },
  );
};
