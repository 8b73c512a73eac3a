/**
 * Cursor pagination on every list endpoint, on both stores: paging through
 * more rows than the limit while newer rows are inserted returns every
 * original row exactly once, newest first (ties broken by id, timestamps
 * with microseconds); a cursor that is not one this API handed out for that
 * list is a 400 ZEROOPS_CURSOR_INVALID. Filters narrow the lists.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessTokens, anomalies, auditLog, executions, incidents, playbooks, playbookVersions } from '../../../services/store/index.ts';
import { buildTestApp, type TestApp } from '../../helpers/api-app.ts';

const T0 = Date.UTC(2026, 0, 1);
const N = 23;
const LIMIT = 5;
const pad = (i: number) => String(i).padStart(3, '0');

type Seeder = (t: TestApp, i: number, at: Date) => Promise<string>;

const seeders: Record<string, Seeder> = {
  anomalies: async ({ store }, i, at) => {
    const id = `an-${pad(i)}-${randomUUID().slice(0, 4)}`;
    await store.db.insert(anomalies).values({
      id,
      service: i % 2 ? 'cart' : 'checkout',
      episodeId: `ep-${i % 3}`,
      windowStart: new Date(at.getTime() - 10_000),
      windowEnd: at,
      score: 0.9,
      likelihood: 0.99,
      severity: 'warning',
      kind: 'errors',
      episodeState: 'open',
      detectedAt: at,
    });
    return id;
  },
  incidents: async ({ store }, i, at) => {
    const id = `inc-${pad(i)}-${randomUUID().slice(0, 4)}`;
    const severity = i % 2 ? 'critical' : 'warning';
    await store.db.insert(incidents).values({ id, service: 'checkout', kind: 'errors', severity, openedAt: at });
    return id;
  },
  executions: async ({ store }, i, at) => {
    const id = `ex-${pad(i)}-${randomUUID().slice(0, 4)}`;
    await store.db.insert(executions).values({
      id,
      episodeId: id,
      anomalyId: id,
      service: 'checkout',
      playbookId: i % 2 ? 'pb-odd' : 'pb-even',
      playbookVersion: 1,
      mode: 'observe',
      status: 'succeeded',
      scoreBefore: 0.9,
      createdAt: at,
    });
    return id;
  },
  playbooks: async ({ store }, i, at) => {
    const id = `pl-${pad(i)}-${randomUUID().slice(0, 4)}`;
    await store.db.insert(playbooks).values({ id, name: id, createdAt: at });
    await store.db.insert(playbookVersions).values({ playbookId: id, version: 1, spec: { name: id, mode: 'observe' } });
    return id;
  },
  tokens: async ({ store }, i, at) => {
    const id = `tok-${pad(i)}-${randomUUID().slice(0, 4)}`;
    await store.db.insert(accessTokens).values({ id, name: id, role: 'viewer', hash: randomUUID(), createdBy: 'test', createdAt: at });
    return id;
  },
  audit: async ({ store }, i) => {
    // The database's own clock (microseconds), as every real audit entry.
    const [r] = await store.db
      .insert(auditLog)
      .values({ actor: 'test', action: 'page.test', subjectType: 'page', subjectId: pad(i) })
      .returning();
    return String(r?.id);
  },
};

const ADMIN = 'page-admin-secret';
const auth = { authorization: `Bearer ${ADMIN}` };

async function getPage(t: TestApp, url: string): Promise<{ items: { id: string | number }[]; nextCursor: string | null }> {
  const res = await t.app.inject({ url, headers: auth });
  expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
  return res.json();
}

/** Pages through `list` (limit LIMIT) while `insert` adds a newer row before each page; returns the ids seen, in order. */
async function pageThrough(t: TestApp, list: string, insert: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const sep = list.includes('?') ? '&' : '?';
    const page = await getPage(t, `${list}${sep}limit=${LIMIT}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(page.items.length).toBeLessThanOrEqual(LIMIT);
    seen.push(...page.items.map((x) => String(x.id)));
    cursor = page.nextCursor;
    if (!cursor) return seen;
    await insert();
  }
  throw new Error('more than 100 pages');
}

for (const kind of ['postgres', 'pglite'] as const) {
  describe(`cursor pagination on ${kind}`, () => {
    let t: TestApp;
    const original: Record<string, string[]> = {};

    beforeAll(async () => {
      t = await buildTestApp({ store: kind, env: { ZEROOPS_API_TOKENS: `admin:${ADMIN}` } });
      for (const id of ['pb-odd', 'pb-even']) {
        await t.store.db.insert(playbooks).values({ id, name: id });
        await t.store.db.insert(playbookVersions).values({ playbookId: id, version: 1, spec: { name: id } });
      }
      for (const [name, seed] of Object.entries(seeders)) {
        original[name] = [];
        // Rows come in pairs sharing a time: ties are broken by id.
        for (let i = 0; i < N; i++) original[name]?.push(await seed(t, i, new Date(T0 + Math.floor(i / 2) * 1000)));
      }
    }, 120_000);
    afterAll(async () => t?.close());

    for (const name of Object.keys(seeders)) {
      it(`${name}: every row once, newest first, while newer rows arrive`, async () => {
        const seed = seeders[name] as Seeder;
        let extra = 1000;
        const seen = await pageThrough(t, `/api/v1/${name}`, async () => {
          await seed(t, extra, new Date(Date.now() + extra));
          extra++;
        });
        expect(new Set(seen).size, 'no duplicates').toBe(seen.length);
        const before = seen.filter((id) => original[name]?.includes(id));
        expect(before.length, 'no gaps').toBe(N);
        // The original rows come newest first: reverse insertion order, ties by id descending.
        const all = await getPage(t, `/api/v1/${name}?limit=500`);
        const order = all.items.map((x) => String(x.id)).filter((id) => original[name]?.includes(id));
        expect(before).toEqual(order);
      });
    }

    it('orders ties by id and keeps microseconds apart', async () => {
      const all = (await getPage(t, '/api/v1/incidents?limit=500')).items.map((x) => String(x.id)).filter((id) => original.incidents?.includes(id));
      expect(all).toHaveLength(N);
      const audit = (await getPage(t, '/api/v1/audit?action=page.test&limit=500')).items.map((x) => Number(x.id));
      expect(audit).toEqual([...audit].sort((a, b) => b - a));
    });

    it('refuses a cursor it did not hand out, or one of another list', async () => {
      const inc = await getPage(t, '/api/v1/incidents?limit=2');
      const cases = [
        `/api/v1/incidents?cursor=not-a-cursor!`,
        `/api/v1/incidents?cursor=${Buffer.from('["incidents","yesterday","x"]').toString('base64url')}`,
        `/api/v1/incidents?cursor=${Buffer.from('{}').toString('base64url')}`,
        `/api/v1/anomalies?cursor=${inc.nextCursor}`,
        `/api/v1/executions?cursor=${'A'.repeat(701)}`,
      ];
      for (const url of cases) {
        const res = await t.app.inject({ url, headers: auth });
        expect(res.statusCode, url).toBe(400);
        const err = res.json().error as { code: string; message: string };
        expect(['ZEROOPS_CURSOR_INVALID', 'ZEROOPS_REQUEST_INVALID']).toContain(err.code);
        expect(err.message).toMatch(/cursor/);
      }
      const other = (await t.app.inject({ url: `/api/v1/anomalies?cursor=${inc.nextCursor}`, headers: auth })).json().error;
      expect(other).toMatchObject({ code: 'ZEROOPS_CURSOR_INVALID', message: expect.stringContaining('incidents list') });
    });

    it('filters each list', async () => {
      const crit = await getPage(t, '/api/v1/incidents?severity=critical&limit=500');
      expect(crit.items.length).toBeGreaterThan(0);
      expect(crit.items.every((x) => (x as unknown as { severity: string }).severity === 'critical')).toBe(true);
      const window = await getPage(t, `/api/v1/incidents?to=${new Date(T0 + 1_000).toISOString()}&limit=500`);
      expect(window.items.map((x) => x.id).sort()).toEqual(original.incidents?.slice(0, 4).sort());
      const odd = await getPage(t, '/api/v1/executions?playbook=pb-odd&limit=500');
      expect(odd.items.filter((x) => original.executions?.includes(String(x.id))).length).toBe(Math.floor(N / 2));
      expect(odd.items.every((x) => (x as unknown as { playbookId: string }).playbookId === 'pb-odd')).toBe(true);
      const until = await getPage(t, `/api/v1/anomalies?until=${new Date(T0 + 1_000).toISOString()}&service=checkout&limit=500`);
      expect(until.items.map((x) => x.id).sort()).toEqual(original.anomalies?.filter((_id, i) => i < 4 && i % 2 === 0).sort());
      const viewers = await getPage(t, '/api/v1/tokens?role=viewer&revoked=false&limit=500');
      expect(viewers.items.length).toBeGreaterThanOrEqual(N);
    });
  });
}
