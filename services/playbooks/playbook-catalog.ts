import { count, max } from 'drizzle-orm';
import type { Db } from '../store/index.ts';
import { playbooks } from '../store/index.ts';
import { PlaybookCatalog } from './matching.ts';
import { listPlaybooks } from './playbook-repo.ts';

/**
 * Keeps a compiled {@link PlaybookCatalog} of the live playbooks, reloading
 * it only when the playbooks table changed (count or latest update), which
 * one cheap query per batch detects.
 */
export function createCatalogCache(db: Db): { current(): Promise<PlaybookCatalog> } {
  let signature = '';
  let catalog = new PlaybookCatalog([]);
  return {
    async current() {
      const [row] = await db.select({ n: count(), last: max(playbooks.updatedAt) }).from(playbooks);
      const sig = `${row?.n ?? 0}/${row?.last ? new Date(row.last).getTime() : 0}`;
      if (sig !== signature) {
        catalog = new PlaybookCatalog(await listPlaybooks(db));
        signature = sig;
      }
      return catalog;
    },
  };
}
