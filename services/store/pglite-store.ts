import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import type { Logger } from '../core/index.ts';
import { closeOnce } from './close-once.ts';
import * as schema from './schema/index.ts';
import { type Db, MEMORY_DATA_DIR, type Store } from './store.ts';

/**
 * Opens the embedded PGlite database in `<dataDir>/pglite` (or in memory for
 * `':memory:'`) and migrates it. One process per data directory: PGlite does
 * not support several processes opening the same files.
 */
export async function openPgliteStore(opts: { dataDir: string; logger: Logger; migrationsDir: string }): Promise<Store> {
  let dir: string | undefined;
  if (opts.dataDir !== MEMORY_DATA_DIR) {
    dir = join(opts.dataDir, 'pglite');
    mkdirSync(dir, { recursive: true });
  }
  const client = dir === undefined ? new PGlite() : new PGlite(dir);
  await client.waitReady;
  const db = drizzle({ client, schema });
  try {
    await migrate(db, { migrationsFolder: opts.migrationsDir });
  } catch (err) {
    await client.close();
    throw err;
  }
  opts.logger.info({ dataDir: dir ?? MEMORY_DATA_DIR }, 'store: PGlite ready, migrations applied');
  return {
    kind: 'pglite',
    db: db satisfies Db,
    async ping() {
      await db.execute(sql`select 1`);
    },
    close: closeOnce(async () => {
      await client.close();
    }),
  };
}
