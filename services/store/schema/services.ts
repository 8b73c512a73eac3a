import { jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.ts';

/**
 * Every service seen in telemetry, keyed by its `service.name`.
 * `attributes` holds resource attributes of the latest sighting.
 */
export const services = pgTable('services', {
  name: text('name').primaryKey(),
  firstSeen: timestamptz('first_seen').notNull().defaultNow(),
  lastSeen: timestamptz('last_seen').notNull().defaultNow(),
  attributes: jsonb('attributes').$type<Record<string, unknown>>().notNull().default({}),
});

/** A row of {@link services} as read. */
export type ServiceRow = typeof services.$inferSelect;
/** A row of {@link services} as inserted. */
export type NewServiceRow = typeof services.$inferInsert;
