import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bigint, pgSchema, serial, text } from 'drizzle-orm/pg-core';
import { silentLogger } from '../../../services/core/index.ts';
import type { StoreSettings } from '../../../services/store/index.ts';
import { createTestDatabase } from '../../helpers/postgres.ts';

/** A fresh, empty database on one backend, and how to remove it. */
export interface BackendInstance {
  settings: StoreSettings;
  cleanup(): Promise<void>;
}

/** One of the two store backends the contract tests run against. */
export interface Backend {
  name: string;
  kind: 'postgres' | 'pglite';
  create(): Promise<BackendInstance>;
}

const base = { poolSize: 4, connectTimeoutMs: 5_000, logger: silentLogger() };

/** Postgres (a fresh database per call) and PGlite (a fresh temporary data directory per call). */
export const BACKENDS: Backend[] = [
  {
    name: 'Postgres',
    kind: 'postgres',
    async create() {
      const db = await createTestDatabase();
      return { settings: { ...base, databaseUrl: db.url, dataDir: ':memory:' }, cleanup: () => db.drop() };
    },
  },
  {
    name: 'PGlite',
    kind: 'pglite',
    async create() {
      const dir = await mkdtemp(join(tmpdir(), 'zeroops-store-'));
      return { settings: { ...base, databaseUrl: '', dataDir: dir }, cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
  },
];

/** drizzle's own bookkeeping table, to count applied migrations. */
export const drizzleMigrations = pgSchema('drizzle').table('__drizzle_migrations', {
  id: serial('id').primaryKey(),
  hash: text('hash').notNull(),
  createdAt: bigint('created_at', { mode: 'number' }),
});

/** Awaits `p`, expecting it to reject; returns the rejection. */
export async function rejectionOf(p: PromiseLike<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the operation to be rejected, but it succeeded');
}
