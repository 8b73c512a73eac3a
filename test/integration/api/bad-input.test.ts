import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiApp } from '../../../services/api/index.ts';
import { buildTestApp, type TestApp } from '../../helpers/api-app.ts';
import { BAD_INPUT_CASES, playbook, SEED } from './bad-input-cases.ts';

describe('API bad input (real Postgres, app.inject): always a 4xx with a stable code naming the field', () => {
  let built: TestApp;
  let app: ApiApp;

  beforeAll(async () => {
    built = await buildTestApp({ store: 'postgres', env: { ZEROOPS_API_MAX_BODY_BYTES: '1048576' } });
    app = built.app;
    const seeded = await app.inject({ method: 'POST', url: '/api/v1/playbooks', payload: playbook({ name: SEED }) });
    expect(seeded.statusCode, seeded.body).toBe(201);
  });

  afterAll(async () => {
    await built?.close();
  });

  it('has at least 100 cases', () => {
    expect(BAD_INPUT_CASES.length).toBeGreaterThanOrEqual(100);
  });

  it.each(BAD_INPUT_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const res = await app.inject({ method: c.method, url: c.url, headers: c.headers, payload: c.payload });
    expect(res.statusCode, res.body.slice(0, 500)).toBe(c.status);
    const error = res.json().error as { code: string; message: string };
    expect(error.code, error.message).toBe(c.code);
    if (typeof c.mention === 'string') expect(error.message).toContain(c.mention);
    else expect(error.message).toMatch(c.mention);
    // The process still serves.
    expect((await app.inject('/api/v1/playbooks')).statusCode).toBe(200);
  });

  it('still serves and kept the seeded playbook (no prune value but "false" or "true" reached the store)', async () => {
    const list = (await app.inject('/api/v1/playbooks')).json() as { items: { name: string }[] };
    expect(list.items.map((p) => p.name)).toEqual([SEED]);
    expect((await app.inject('/api/v1/anomalies?since=2026-01-01T00:00:00Z')).statusCode).toBe(200);
    expect((await app.inject(`/api/v1/anomalies?since=${encodeURIComponent('2016-12-31T23:59:59.999+01:00')}&limit=5`)).statusCode).toBe(200);
    const keep = await app.inject({ method: 'POST', url: '/api/v1/playbooks/apply?prune=false', payload: [] });
    expect(keep.json()).toMatchObject({ deleted: [] });
    const pruned = await app.inject({ method: 'POST', url: '/api/v1/playbooks/apply?prune=true', payload: [] });
    expect(pruned.json()).toMatchObject({ deleted: [SEED] });
  });
});
