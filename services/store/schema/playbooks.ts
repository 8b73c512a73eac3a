import { foreignKey, integer, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.ts';

/**
 * Playbooks: the stable identity of a playbook. Its content lives in
 * {@link playbookVersions}; `currentVersion` points at the latest. Deleting
 * sets `deletedAt` (soft delete) so executions keep their reference.
 */
export const playbooks = pgTable('playbooks', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique('playbooks_name_unique'),
  currentVersion: integer('current_version').notNull().default(1),
  deletedAt: timestamptz('deleted_at'),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
});

/**
 * Every version of every playbook, immutable once written. `spec` is the
 * validated playbook document (its shape is owned by the executor).
 */
export const playbookVersions = pgTable(
  'playbook_versions',
  {
    playbookId: text('playbook_id').notNull(),
    version: integer('version').notNull(),
    spec: jsonb('spec').$type<unknown>().notNull(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    createdBy: text('created_by').notNull().default(''),
  },
  (t) => [
    primaryKey({ name: 'playbook_versions_pk', columns: [t.playbookId, t.version] }),
    foreignKey({ name: 'playbook_versions_playbook_fk', columns: [t.playbookId], foreignColumns: [playbooks.id] }),
  ],
);

/** A row of {@link playbooks} as read. */
export type PlaybookRow = typeof playbooks.$inferSelect;
/** A row of {@link playbooks} as inserted. */
export type NewPlaybookRow = typeof playbooks.$inferInsert;
/** A row of {@link playbookVersions} as read. */
export type PlaybookVersionRow = typeof playbookVersions.$inferSelect;
/** A row of {@link playbookVersions} as inserted. */
export type NewPlaybookVersionRow = typeof playbookVersions.$inferInsert;
