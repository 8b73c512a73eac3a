import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.ts';

/**
 * The detector's recalibration from human labels, one row per service
 * (models/calibration's `ServiceCalibration` in `state`). Written only by the
 * trainer; `version` counts the labels folded in, so a detector replica that
 * polls the table applies a row once it sees a higher version.
 */
export const detectorCalibrations = pgTable(
  'detector_calibrations',
  {
    service: text('service').primaryKey(),
    version: integer('version').notNull().default(0),
    state: jsonb('state').$type<Record<string, unknown>>().notNull(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (t) => [index('detector_calibrations_updated_at_idx').on(t.updatedAt)],
);

/**
 * Labels the trainer has folded into a calibration, keyed by the feedback id:
 * inserted in the same transaction as the calibration update, so a
 * redelivered `feedback` message changes nothing.
 */
export const calibrationLabels = pgTable(
  'calibration_labels',
  {
    feedbackId: text('feedback_id').primaryKey(),
    service: text('service').notNull(),
    label: text('label').notNull(),
    /** The calibration version this label produced. */
    version: integer('version').notNull(),
    appliedAt: timestamptz('applied_at').notNull().defaultNow(),
  },
  () => [check('calibration_labels_label_check', sql`"label" IN ('true_positive', 'false_positive', 'missed')`)],
);

/** A row of {@link detectorCalibrations} as read. */
export type DetectorCalibrationRow = typeof detectorCalibrations.$inferSelect;
