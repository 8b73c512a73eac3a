import { eq, inArray, or, type SQL } from 'drizzle-orm';
import { type Db, type ExecutionRow, type ExecutionStatus, executions, playbooks } from '../../store/index.ts';
import { type JsonRow, jsonRow } from './json-row.ts';
import { type Keyset, type Page, type PageRequest, selectPage } from './page.ts';

/** Filters of {@link listExecutions}; every one optional. */
export interface ExecutionFilter extends PageRequest {
  service?: string;
  status?: string;
  outcome?: string;
  /** A playbook's id or name. */
  playbook?: string;
  /** An incident (episode) id. */
  incident?: string;
}

/** An execution as the API lists it: the row and its playbook's name. */
export type ExecutionJson = JsonRow<ExecutionRow> & { playbookName: string };

const keyset: Keyset = { kind: 'executions', time: executions.createdAt, id: executions.id, idKey: 'id' };

function filters(db: Db, f: ExecutionFilter): (SQL | undefined)[] {
  const where: (SQL | undefined)[] = [];
  if (f.service) where.push(eq(executions.service, f.service));
  if (f.status) where.push(eq(executions.status, f.status as ExecutionStatus));
  if (f.outcome) where.push(eq(executions.outcome, f.outcome));
  if (f.incident) where.push(eq(executions.episodeId, f.incident));
  if (f.playbook) {
    const named = db.select({ id: playbooks.id }).from(playbooks).where(eq(playbooks.name, f.playbook));
    where.push(or(eq(executions.playbookId, f.playbook), inArray(executions.playbookId, named)));
  }
  return where;
}

/** Executions matching `f`, newest first, one page at a time, each with its playbook's name. */
export async function listExecutions(db: Db, f: ExecutionFilter): Promise<Page<ExecutionJson>> {
  const page = await selectPage(db, executions, keyset, f, filters(db, f), jsonRow);
  const ids = [...new Set(page.items.map((e) => e.playbookId))];
  const named = ids.length === 0 ? [] : await db.select({ id: playbooks.id, name: playbooks.name }).from(playbooks).where(inArray(playbooks.id, ids));
  const names = new Map(named.map((p) => [p.id, p.name]));
  // The foreign key to playbook_versions keeps the playbook row (deletes are soft): the id is a fallback that never shows.
  return { ...page, items: page.items.map((e) => ({ ...e, playbookName: names.get(e.playbookId) ?? e.playbookId })) };
}
