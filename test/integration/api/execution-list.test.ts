/**
 * GET /api/v1/executions, on both stores: every list item names its playbook
 * (the playbook's name, not only its id) and the version that ran, also for a
 * playbook deleted since and for two versions of one playbook; the name
 * filter and the id filter find the same executions.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executions, playbooks, playbookVersions } from '../../../services/store/index.ts';
import { buildTestApp, type TestApp } from '../../helpers/api-app.ts';

const ADMIN = 'execution-list-admin-secret';
const auth = { authorization: `Bearer ${ADMIN}` };

interface Item {
  id: string;
  playbookId: string;
  playbookName: string;
  playbookVersion: number;
}

describe.each(['pglite', 'postgres'] as const)('execution list items name their playbook (%s)', (store) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await buildTestApp({ store, env: { ZEROOPS_API_TOKENS: `admin:${ADMIN}` } });
    const db = t.store.db;
    for (const [id, name, versions] of [
      ['pb-1', 'restart-cart', 2],
      ['pb-2', 'scale-out-web', 1],
    ] as const) {
      await db.insert(playbooks).values({ id, name, currentVersion: versions });
      for (let v = 1; v <= versions; v++) await db.insert(playbookVersions).values({ playbookId: id, version: v, spec: { name } });
    }
    const runs: [string, string, number][] = [
      ['ex-a', 'pb-1', 1],
      ['ex-b', 'pb-1', 2],
      ['ex-c', 'pb-2', 1],
    ];
    for (const [id, playbookId, playbookVersion] of runs) {
      await db.insert(executions).values({
        id,
        episodeId: `ep-${id}`,
        anomalyId: `an-${id}`,
        service: 'cart',
        playbookId,
        playbookVersion,
        mode: 'auto',
        status: 'succeeded',
        scoreBefore: 0.9,
      });
    }
    // A playbook deleted after it ran (deletes are soft): its executions keep its name.
    await db.update(playbooks).set({ deletedAt: new Date() }).where(eq(playbooks.id, 'pb-2'));
  }, 120_000);
  afterAll(async () => t?.close());

  const list = async (query: string): Promise<Item[]> => {
    const res = await t.app.inject({ url: `/api/v1/executions${query}`, headers: auth });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    return (res.json() as { items: Item[] }).items;
  };
  const named = (items: Item[]) => items.map((e) => [e.id, e.playbookName, e.playbookVersion]).sort();

  it('carries the playbook name and version of each execution', async () => {
    expect(named(await list(''))).toEqual([
      ['ex-a', 'restart-cart', 1],
      ['ex-b', 'restart-cart', 2],
      ['ex-c', 'scale-out-web', 1],
    ]);
  });

  it('the same on every page and under the playbook filter, by name or by id', async () => {
    const first = await t.app.inject({ url: '/api/v1/executions?limit=2', headers: auth });
    const cursor = (first.json() as { nextCursor: string }).nextCursor;
    const pages = [...(first.json() as { items: Item[] }).items, ...(await list(`?limit=2&cursor=${cursor}`))];
    expect(named(pages)).toEqual(named(await list('')));
    expect(named(await list('?playbook=restart-cart'))).toEqual(named(await list('?playbook=pb-1')));
    expect(named(await list('?playbook=scale-out-web'))).toEqual([['ex-c', 'scale-out-web', 1]]);
  });
});
