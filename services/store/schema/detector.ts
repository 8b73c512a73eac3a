import { jsonb, pgTable, text } from 'drizzle-orm/pg-core';
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
