import { eq, type SQL } from 'drizzle-orm';
import { type ChangeRow, type ChangeState, changes, type Db } from '../../store/index.ts';
import { type JsonRow, jsonRow } from './json-row.ts';
import { type Keyset, type Page, type PageRequest, selectPage } from './page.ts';

/** Filters of {@link listChangePage}; every one optional. */
export interface ChangeFilter extends PageRequest {
  service?: string;
  state?: string;
}

/** A managed change as the API returns it. */
export type ChangeJson = JsonRow<ChangeRow>;

const keyset: Keyset = { kind: 'changes', time: changes.createdAt, id: changes.id, idKey: 'id' };

/** Managed changes matching `f`, newest first, one page at a time. */
export async function listChangePage(db: Db, f: ChangeFilter): Promise<Page<ChangeJson>> {
  const where: SQL[] = [];
  if (f.service) where.push(eq(changes.service, f.service));
  if (f.state) where.push(eq(changes.state, f.state as ChangeState));
  return selectPage(db, changes, keyset, f, where, jsonRow);
}
