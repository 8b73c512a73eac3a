import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createStore,
  DEFAULT_MIGRATIONS_DIR,
  executionSteps,
  executions,
  isUniqueViolation,
  type NewExecutionRow,
  playbooks,
  playbookVersions,
  type Store,
} from '../../../services/store/index.ts';
import { BACKENDS, type BackendInstance, drizzleMigrations, rejectionOf } from './backends.ts';

interface Journal {
  entries: { idx: number; tag: string }[];
}

/** The migration that adds executions.attempt; the store is first built at the schema just before it. */
const ATTEMPT_MIGRATION = '0008_executions_attempt';

/** A copy of the committed migrations whose journal stops before `tag` (what a store of the previous release applied). */
async function migrationsBefore(tag: string): Promise<{ dir: string; applied: number; total: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'zeroops-migrations-'));
  await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
  const journal = JSON.parse(await readFile(join(dir, 'meta/_journal.json'), 'utf8')) as Journal;
  const at = journal.entries.findIndex((e) => e.tag === tag);
  if (at < 0) throw new Error(`migration ${tag} is not in the journal`);
  await writeFile(join(dir, 'meta/_journal.json'), JSON.stringify({ ...journal, entries: journal.entries.slice(0, at) }));
  return { dir, applied: at, total: journal.entries.length };
}

function execution(id: string, over: Partial<NewExecutionRow> = {}): NewExecutionRow {
  return { id, episodeId: 'ep-1', anomalyId: 'an-1', service: 'checkout', playbookId: 'pb-1', playbookVersion: 1, mode: 'auto', scoreBefore: 0.9, ...over };
}

/**
 * Upgrading a store that holds executions written before migration 0008:
 * the rows (and their steps) are kept, each gets attempt 0, and from then on
 * the unique key is (episode, playbook, attempt), so a follow-up can be
 * inserted beside the run it follows.
 */
describe.each(BACKENDS)('migration 0008 (executions.attempt) on a $name store with rows', (backend) => {
  let instance: BackendInstance;
  let old: { dir: string; applied: number; total: number };
  let store: Store;

  beforeAll(async () => {
    instance = await backend.create();
    old = await migrationsBefore(ATTEMPT_MIGRATION);
    const before = await createStore({ ...instance.settings, migrationsDir: old.dir });
    try {
      await before.db.insert(playbooks).values({ id: 'pb-1', name: 'restart-checkout', currentVersion: 1 });
      await before.db.insert(playbookVersions).values({ playbookId: 'pb-1', version: 1, spec: { steps: [] }, createdBy: 'test' });
      // The schema in code already has executions.attempt, which this database lacks: rows go in as the previous release wrote them.
      const insertOld = (id: string, episodeId: string, anomalyId: string, outcome: string) =>
        before.db.execute(sql`insert into executions (id, episode_id, anomaly_id, service, playbook_id, playbook_version, mode, status, outcome, score_before)
          values (${id}, ${episodeId}, ${anomalyId}, 'checkout', 'pb-1', 1, 'auto', 'succeeded', ${outcome}, 0.9)`);
      await insertOld('ex-a', 'ep-1', 'an-1', 'not_resolved');
      // A follow-up written by the previous release: it had replaced its first run under the old key.
      await insertOld('ex-b~2', 'ep-2', 'an-1', 'escalated');
      await before.db
        .insert(executionSteps)
        .values({ executionId: 'ex-a', stepIndex: 0, name: 'restart', type: 'http', idempotencyKey: 'ep-1:pb-1@1:restart', status: 'succeeded', attempt: 1 });
      // The previous schema allows one execution per (episode, playbook), whatever else differs.
      const second = await rejectionOf(insertOld('ex-a~2', 'ep-1', 'an-2', 'resolved'));
      expect(isUniqueViolation(second)).toBe(true);
      expect(await before.db.select().from(drizzleMigrations)).toHaveLength(old.applied);
    } finally {
      await before.close();
    }
    store = await createStore(instance.settings);
  });

  afterAll(async () => {
    await store?.close();
    await instance?.cleanup();
    if (old) await rm(old.dir, { recursive: true, force: true });
  });

  it('applies the remaining migrations once and keeps every execution and step, at attempt 0', async () => {
    expect(await store.db.select().from(drizzleMigrations)).toHaveLength(old.total);
    const rows = await store.db
      .select({ id: executions.id, episodeId: executions.episodeId, attempt: executions.attempt, outcome: executions.outcome })
      .from(executions)
      .orderBy(asc(executions.id));
    expect(rows).toEqual([
      { id: 'ex-a', episodeId: 'ep-1', attempt: 0, outcome: 'not_resolved' },
      { id: 'ex-b~2', episodeId: 'ep-2', attempt: 0, outcome: 'escalated' },
    ]);
    const steps = await store.db.select().from(executionSteps).where(eq(executionSteps.executionId, 'ex-a'));
    expect(steps.map((s) => [s.name, s.status, s.idempotencyKey])).toEqual([['restart', 'succeeded', 'ep-1:pb-1@1:restart']]);
  });

  it('keys executions by (episode, playbook, attempt) after the upgrade', async () => {
    const followUp = await store.db
      .insert(executions)
      .values(execution('ex-a~2', { attempt: 2 }))
      .returning();
    expect(followUp.map((r) => [r.id, r.attempt])).toEqual([['ex-a~2', 2]]);
    const same = await rejectionOf(store.db.insert(executions).values(execution('ex-c', { attempt: 2 })));
    expect(isUniqueViolation(same)).toBe(true);
    const first = await rejectionOf(store.db.insert(executions).values(execution('ex-d')));
    expect(isUniqueViolation(first)).toBe(true);
    const ep1 = await store.db.select({ id: executions.id }).from(executions).where(eq(executions.episodeId, 'ep-1')).orderBy(asc(executions.attempt));
    expect(ep1.map((r) => r.id)).toEqual(['ex-a', 'ex-a~2']);
  });
});
