import { index, pgTable, text } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.ts';

/**
 * Deployments seen in telemetry: a service whose `service.version` resource
 * attribute changed (written by the detector). One row per change; the id is
 * `<service>@<newVersion>@<firstSeen ms>`, so a redelivered window records it once.
 */
export const deployments = pgTable(
  'deployments',
  {
    id: text('id').primaryKey(),
    service: text('service').notNull(),
    /** The version seen before the change; null when the service had none. */
    oldVersion: text('old_version'),
    newVersion: text('new_version').notNull(),
    /** End of the first window that carried the new version. */
    firstSeen: timestamptz('first_seen').notNull(),
    /** End of the latest window that carried it (until the next deployment). */
    lastSeen: timestamptz('last_seen').notNull(),
  },
  (t) => [index('deployments_service_first_seen_idx').on(t.service, t.firstSeen), index('deployments_first_seen_idx').on(t.firstSeen)],
);

/** A row of {@link deployments} as read. */
export type DeploymentRow = typeof deployments.$inferSelect;
/** A row of {@link deployments} as inserted. */
export type NewDeploymentRow = typeof deployments.$inferInsert;
