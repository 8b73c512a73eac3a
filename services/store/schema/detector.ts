import { bigint, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { bytea, timestamptz } from './columns.ts';

/**
 * The detector's serialized model state per bus partition (e.g.
 * `telemetry.traces:3`), written periodically and restored on rebalance.
 * `state` holds the JSON part (baselines, likelihood, episodes); `blob` the
 * optional binary part (e.g. neural-network weights).
 */
export const detectorCheckpoints = pgTable('detector_checkpoints', {
  partitionKey: text('partition_key').primaryKey(),
  state: jsonb('state').$type<unknown>().notNull(),
  blob: bytea('blob'),
  modelVersion: text('model_version').notNull().default(''),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
});

/** A row of {@link detectorCheckpoints} as read. */
export type DetectorCheckpointRow = typeof detectorCheckpoints.$inferSelect;
/** A row of {@link detectorCheckpoints} as inserted. */
export type NewDetectorCheckpointRow = typeof detectorCheckpoints.$inferInsert;

/**
 * What each running detector instance tracks, written with its checkpoints
 * (and removed when it stops): the services it holds against its cap, and
 * what it refused or evicted since it started. The API sums the rows updated
 * recently (GET /api/v1/services, `tracking`).
 */
export const detectorInstances = pgTable('detector_instances', {
  instanceId: text('instance_id').primaryKey(),
  trackedServices: integer('tracked_services').notNull(),
  maxServices: integer('max_services').notNull(),
  /** Records dropped because the cap was reached. */
  refusedRecords: bigint('refused_records', { mode: 'number' }).notNull().default(0),
  /** Distinct services among them (estimated). */
  refusedServices: bigint('refused_services', { mode: 'number' }).notNull().default(0),
  /** Records dropped for a `service.name` that is too long or holds control characters. */
  badNameRecords: bigint('bad_name_records', { mode: 'number' }).notNull().default(0),
  /** Services whose state was dropped after being idle. */
  evictedServices: bigint('evicted_services', { mode: 'number' }).notNull().default(0),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
});

/** A row of {@link detectorInstances} as read. */
export type DetectorInstanceRow = typeof detectorInstances.$inferSelect;
