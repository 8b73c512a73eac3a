import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiApp } from '../../../services/api/app.ts';
import { type Harness, openHarness } from './harness.ts';

const valid = (name = 'restart-api', extra: Record<string, unknown> = {}) => ({
  name,
  mode: 'auto',
  match: { service: 'api-*', kinds: ['latency'], minScore: 0.5 },
  steps: [{ id: 'restart', type: 'http', http: { method: 'POST', url: 'https://ops.example.com/restart/{{anomaly.service}}' } }],
  ...extra,
});

describe('playbook API (real Postgres, app.inject)', () => {
  let h: Harness;
  let app: ApiApp;
  beforeAll(async () => {
    h = await openHarness({ ZEROOPS_API_MAX_BODY_BYTES: '20000' }, { HOOK: 'hook-secret-value' });
    app = await h.app();
  });
  afterAll(async () => h?.close());

  it('creates, reads, versions on every change, deletes; YAML and JSON bodies', async () => {
    const created = await app.inject({ method: 'POST', url: '/api/v1/playbooks', payload: valid() });
    expect(created.statusCode).toBe(201);
    const pb = created.json() as { id: string; version: number; spec: { guardrails: { cooldownSeconds: number } } };
    expect(pb.version).toBe(1);
    expect(pb.spec.guardrails.cooldownSeconds).toBe(300);
    const yaml = `name: restart-api\nmode: suggest\nmatch:\n  service: "api-*"\nsteps:\n  - id: restart\n    type: http\n    http:\n      method: POST\n      url: https://ops.example.com/r\n`;
    const put = await app.inject({ method: 'PUT', url: `/api/v1/playbooks/${pb.id}`, headers: { 'content-type': 'application/yaml' }, payload: yaml });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({ id: pb.id, version: 2, spec: { mode: 'suggest' } });
    // The same content again is not a change.
    expect(
      (await app.inject({ method: 'PUT', url: `/api/v1/playbooks/${pb.id}`, headers: { 'content-type': 'application/yaml' }, payload: yaml })).json(),
    ).toMatchObject({ version: 2 });
    const versions = (await app.inject({ method: 'GET', url: `/api/v1/playbooks/${pb.id}/versions` })).json() as {
      items: { version: number; spec: { mode: string } }[];
    };
    expect(versions.items.map((v) => [v.version, v.spec.mode])).toEqual([
      [2, 'suggest'],
      [1, 'auto'],
    ]);
    expect((await app.inject({ method: 'POST', url: '/api/v1/playbooks', payload: valid() })).statusCode).toBe(409);
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/playbooks/${pb.id}` })).statusCode).toBe(204);
    expect((await app.inject({ method: 'GET', url: `/api/v1/playbooks/${pb.id}` })).json()).toMatchObject({ error: { code: 'ZEROOPS_NOT_FOUND' } });
    // Versions survive deletion; re-creating the name continues the history.
    expect((await app.inject({ method: 'POST', url: '/api/v1/playbooks', payload: valid() })).json()).toMatchObject({ id: pb.id, version: 3 });
  });

  it('rejects an invalid playbook with 400 listing every problem with its path', async () => {
    const bad = {
      name: 'Bad Name',
      mode: 'auto',
      match: { service: 'api-[' },
      steps: [
        { id: 'a', type: 'teleport' },
        { id: 'b', type: 'http', timeoutSeconds: -5, http: { method: 'POST', url: 'https://x/{{anomaly.service' } },
        { id: 'c', type: 'notify', notify: { kind: 'slack', url: 'https://x/{{secret.MISSING}}', text: '{{nope.x}}' } },
        { id: 'd', type: 'command', command: { executable: 'rm', args: ['-rf'] } },
      ],
    };
    const res = await app.inject({ method: 'POST', url: '/api/v1/playbooks', payload: bad });
    expect(res.statusCode).toBe(400);
    const body = res.json() as { error: { code: string; details: { path: string; message: string }[] } };
    expect(body.error.code).toBe('ZEROOPS_PLAYBOOK_INVALID');
    const paths = body.error.details.map((d) => d.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/name',
        '/match/service',
        '/steps/0/type',
        '/steps/1/timeoutSeconds',
        '/steps/1/http/url',
        '/steps/2/notify/url',
        '/steps/2/notify/text',
        '/steps/3/command/executable',
      ]),
    );
    expect(body.error.details.find((d) => d.path === '/steps/0/type')?.message).toContain('teleport');
    const v = await app.inject({ method: 'POST', url: '/api/v1/playbooks/validate', payload: bad });
    expect(v.statusCode).toBe(400);
    expect((v.json() as typeof body).error.details).toEqual(body.error.details);
    expect((await app.inject({ method: 'POST', url: '/api/v1/playbooks/validate', payload: valid('ok') })).json()).toMatchObject({ valid: true });
    expect(
      (await app.inject({ method: 'POST', url: '/api/v1/playbooks', headers: { 'content-type': 'application/yaml' }, payload: 'name: [unclosed' })).statusCode,
    ).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/api/v1/playbooks' })).json()).toMatchObject({
      items: expect.not.arrayContaining([expect.objectContaining({ name: 'Bad Name' })]),
    });
  });

  it('answers 404 for unknown ids and 413 for oversized bodies, and keeps serving', async () => {
    for (const url of ['/api/v1/playbooks/nope', '/api/v1/playbooks/nope/versions', '/api/v1/executions/nope']) {
      const r = await app.inject({ method: 'GET', url });
      expect([r.statusCode, (r.json() as { error: { code: string } }).error.code]).toEqual([404, 'ZEROOPS_NOT_FOUND']);
    }
    expect((await app.inject({ method: 'POST', url: '/api/v1/executions/nope/approve' })).statusCode).toBe(404);
    const huge = valid('huge', { description: 'x'.repeat(30_000) });
    const r = await app.inject({ method: 'POST', url: '/api/v1/playbooks', payload: huge });
    expect([r.statusCode, (r.json() as { error: { code: string } }).error.code]).toEqual([413, 'ZEROOPS_BODY_TOO_LARGE']);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('apply makes the stored set match a bundle and is idempotent', async () => {
    const bundle = `${JSON.stringify(valid('b-one'))}\n---\n${JSON.stringify(valid('b-two'))}\n`;
    const first = await app.inject({ method: 'POST', url: '/api/v1/playbooks/apply', headers: { 'content-type': 'application/yaml' }, payload: bundle });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ created: ['b-one', 'b-two'] });
    expect((first.json() as { deleted: string[] }).deleted).toContain('restart-api');
    const again = await app.inject({
      method: 'POST',
      url: '/api/v1/playbooks/apply',
      payload: { playbooks: [valid('b-one'), valid('b-two', { priority: 3 })] },
    });
    expect(again.json()).toEqual({ created: [], updated: ['b-two'], unchanged: ['b-one'], deleted: [] });
    const names = ((await app.inject({ method: 'GET', url: '/api/v1/playbooks' })).json() as { items: { name: string }[] }).items.map((p) => p.name);
    expect(names.sort()).toEqual(['b-one', 'b-two']);
    const bad = await app.inject({ method: 'POST', url: '/api/v1/playbooks/apply', payload: [valid('b-one'), { name: 'x' }] });
    expect(bad.statusCode).toBe(400);
    expect((bad.json() as { error: { details: { path: string }[] } }).error.details.map((d) => d.path)).toContain('/playbooks/1/mode');
  });

  it('dry-run returns the match checks, each guardrail decision and the rendered plan with secrets redacted', async () => {
    const spec = valid('dry', {
      match: { service: 'api-*' },
      guardrails: { freezeWindows: [{ start: '2000-01-01T00:00:00Z', end: '2999-01-01T00:00:00Z', reason: 'forever' }] },
      steps: [{ id: 'hook', type: 'http', http: { method: 'POST', url: 'https://h.example.com/{{anomaly.service}}?k={{secret.HOOK}}' } }],
    });
    const pb = (await app.inject({ method: 'POST', url: '/api/v1/playbooks', payload: { ...spec, priority: 100 } })).json() as { id: string };
    const r = await app.inject({
      method: 'POST',
      url: `/api/v1/playbooks/${pb.id}/dry-run`,
      payload: { anomaly: { service: 'api-gw', kind: 'latency', score: 0.8 } },
    });
    expect(r.statusCode, r.body).toBe(200);
    const d = r.json() as { matched: boolean; wouldRun: boolean; guardrails: { guardrail: string; allow: boolean }[]; plan: { params: { url: string } }[] };
    expect(d.matched).toBe(true);
    expect(d.wouldRun).toBe(false);
    expect(d.guardrails.filter((g) => !g.allow).map((g) => g.guardrail)).toEqual(['freeze_window']);
    expect(d.plan[0]?.params.url).toBe('https://h.example.com/api-gw?k=[redacted]');
    expect(r.body).not.toContain('hook-secret-value');
    const miss = (await app.inject({ method: 'POST', url: `/api/v1/playbooks/${pb.id}/dry-run`, payload: { anomaly: { service: 'db' } } })).json() as {
      matched: boolean;
    };
    expect(miss.matched).toBe(false);
    expect((await app.inject({ method: 'POST', url: `/api/v1/playbooks/${pb.id}/dry-run`, payload: { anomalyId: 'nope' } })).statusCode).toBe(404);
  });

  it('serves the playbook schema in the OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as {
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(JSON.stringify(doc.paths['/api/v1/playbooks']?.post?.requestBody)).toContain('#/components/schemas/PlaybookSpec');
    expect(JSON.stringify(doc.components.schemas.PlaybookSpec)).toContain('guardrails');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/playbooks/{id}/dry-run', '/api/v1/executions/{id}/approve']));
  });
});

describe('API tokens', () => {
  let h: Harness;
  let app: ApiApp;
  beforeAll(async () => {
    h = await openHarness({ ZEROOPS_API_TOKENS: 'viewer:v-tok,operator:o-tok,admin:a-tok' });
    app = await h.app();
  });
  afterAll(async () => h?.close());

  it('needs a viewer token to read and an admin token to write playbooks; health stays open', async () => {
    const auth = (t?: string) => (t ? { authorization: `Bearer ${t}` } : {});
    const code = async (method: 'GET' | 'POST', url: string, t?: string) =>
      (await app.inject({ method, url, headers: auth(t), ...(method === 'POST' ? { payload: valid(`p-${Math.random().toString(36).slice(2, 8)}`) } : {}) }))
        .statusCode;
    expect(await code('GET', '/api/v1/playbooks')).toBe(401);
    expect(await code('GET', '/api/v1/playbooks', 'wrong')).toBe(401);
    expect(await code('GET', '/api/v1/playbooks', 'v-tok')).toBe(200);
    expect(await code('POST', '/api/v1/playbooks', 'v-tok')).toBe(403);
    expect(await code('POST', '/api/v1/playbooks', 'o-tok')).toBe(403);
    expect(await code('POST', '/api/v1/playbooks', 'a-tok')).toBe(201);
    expect(await code('GET', '/healthz')).toBe(200);
    const denied = await app.inject({ method: 'POST', url: '/api/v1/playbooks', headers: auth('v-tok'), payload: valid('x') });
    expect((denied.json() as { error: { code: string } }).error.code).toBe('ZEROOPS_FORBIDDEN');
    const audit = await h.store.db.query.auditLog.findMany();
    expect(
      audit
        .filter((a) => a.action === 'playbook.create')
        .map((a) => a.actor)
        .sort(),
    ).toEqual([expect.stringMatching(/^token:env:admin:[0-9a-f]{8}$/)]);
  });
});
