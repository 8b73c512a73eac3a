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

/** An execution as the API returns it. */
export type ExecutionJson = JsonRow<ExecutionRow>;

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

/** Executions matching `f`, newest first, one page at a time. */
export async function listExecutions(db: Db, f: ExecutionFilter): Promise<Page<ExecutionJson>> {
  return selectPage(db, executions, keyset, f, filters(db, f), jsonRow);
}
