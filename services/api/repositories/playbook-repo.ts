import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Playbook, StoredPlaybook } from '../../playbooks/index.ts';
import { type Db, playbooks, playbookVersions } from '../../store/index.ts';
import { afterCursor, cursorTime, type Keyset, keysetOrder, type Page, type PageRequest, toPage } from './page.ts';

/** Filters of {@link listPlaybookPage}. */
export interface PlaybookFilter extends PageRequest {
  /** Only playbooks whose current version runs in this mode (`observe`, `suggest`, `auto`). */
  mode?: string;
}

const keyset: Keyset = { kind: 'playbooks', time: playbooks.createdAt, id: playbooks.id, idKey: 'id' };

/** Live playbooks with their current version, newest first, one page at a time. */
export async function listPlaybookPage(db: Db, f: PlaybookFilter): Promise<Page<StoredPlaybook>> {
  const rows = await db
    .select({ p: playbooks, v: playbookVersions, cursorT: cursorTime(keyset) })
    .from(playbooks)
    .innerJoin(playbookVersions, and(eq(playbookVersions.playbookId, playbooks.id), eq(playbookVersions.version, playbooks.currentVersion)))
    .where(and(isNull(playbooks.deletedAt), afterCursor(keyset, f.cursor), f.mode ? sql`${playbookVersions.spec}->>'mode' = ${f.mode}` : undefined))
    .orderBy(...keysetOrder(keyset))
    .limit(f.limit + 1);
  return toPage(
    keyset,
    rows,
    f.limit,
    (r) => r.p.id,
    ({ p, v }) => ({
      id: p.id,
      name: p.name,
      version: p.currentVersion,
      spec: v.spec as Playbook,
      createdAt: p.createdAt.toISOString(),
      updatedAt: p.updatedAt.toISOString(),
    }),
  );
}
