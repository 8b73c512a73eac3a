import { sql } from 'drizzle-orm';
import { check, index, pgTable, text } from 'drizzle-orm/pg-core';
import { sqlList, timestamptz } from './columns.ts';

/** Labels a human can give an anomaly or episode. */
export const FEEDBACK_LABELS = ['true_positive', 'false_positive', 'missed'] as const;
/** A human label. */
export type FeedbackLabel = (typeof FEEDBACK_LABELS)[number];

/**
 * Human labels on anomalies or episodes, the feedback loop's input. A label
 * names an anomaly, an episode (incident), or, for a `missed` anomaly that
 * raised nothing, a service and a time range (`fromAt`..`toAt`).
 */
export const feedback = pgTable(
  'feedback',
  {
    id: text('id').primaryKey(),
    anomalyId: text('anomaly_id'),
    episodeId: text('episode_id'),
    label: text('label').$type<FeedbackLabel>().notNull(),
    actor: text('actor').notNull(),
    note: text('note').notNull().default(''),
    /** The service labelled (set on every label the API writes; a `missed` label names only the service and a time range). */
    service: text('service'),
    /** Start of the time range a `missed` label covers (null on labels of an incident). */
    fromAt: timestamptz('from_at'),
    /** End of the time range a `missed` label covers. */
    toAt: timestamptz('to_at'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('feedback_episode_id_idx').on(t.episodeId),
    index('feedback_anomaly_id_idx').on(t.anomalyId),
    check('feedback_label_check', sql.raw(`"label" IN (${sqlList(FEEDBACK_LABELS)})`)),
    index('feedback_service_created_at_idx').on(t.service, t.createdAt),
    check(
      'feedback_subject_check',
      sql`"anomaly_id" IS NOT NULL OR "episode_id" IS NOT NULL OR ("service" IS NOT NULL AND "from_at" IS NOT NULL AND "to_at" IS NOT NULL)`,
    ),
  ],
);

/** A row of {@link feedback} as read. */
export type FeedbackRow = typeof feedback.$inferSelect;
/** A row of {@link feedback} as inserted. */
export type NewFeedbackRow = typeof feedback.$inferInsert;
