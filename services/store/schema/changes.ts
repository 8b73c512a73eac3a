import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { sqlList, timestamptz } from './columns.ts';

/**
 * States of a managed change: waiting for its quiet window (`scheduled`),
 * its change step running (`applying`), the service watched against its
 * pre-change baseline (`watching`), its undo step running (`rolling_back`),
 * and the ends: `kept`, `rolled_back`, `failed`, `cancelled`.
 */
export const CHANGE_STATES = ['scheduled', 'applying', 'watching', 'rolling_back', 'kept', 'rolled_back', 'failed', 'cancelled'] as const;
/** State of a managed change. */
export type ChangeState = (typeof CHANGE_STATES)[number];

/**
 * Managed rollouts (`POST /api/v1/changes`): a change step and its undo for
 * one service, applied in the quiet window of the service's load forecast and
 * watched afterwards. `leaseOwner`/`leaseExpiresAt` fence the executor that
 * drives it (one at a time; another resumes it once the lease expires).
 * Each state is written before the side effect it allows.
 */
export const changes = pgTable(
  'changes',
  {
    id: text('id').primaryKey(),
    service: text('service').notNull(),
    /** The request as validated (change and undo steps, delays, watch time, version, description). */
    spec: jsonb('spec').$type<Record<string, unknown>>().notNull(),
    state: text('state').$type<ChangeState>().notNull().default('scheduled'),
    /** Why it is in its state (the regression found, the error of a failed step...). */
    reason: text('reason').notNull().default(''),
    /** When the change step is to run (the quiet window chosen); now when not deferred. */
    scheduledFor: timestamptz('scheduled_for').notNull(),
    /** Why then (the quiet window chosen from the load forecast), or why it ran early. */
    scheduleReason: text('schedule_reason').notNull().default(''),
    createdBy: text('created_by').notNull(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
    /** When the change step succeeded (the watch starts). */
    appliedAt: timestamptz('applied_at'),
    /** End of the watch. */
    watchUntil: timestamptz('watch_until'),
    finishedAt: timestamptz('finished_at'),
    /** The service's signals before the change (per feature: mean, spread, windows). */
    baseline: jsonb('baseline').$type<Record<string, unknown>>(),
    /** The last comparison of the watch against the baseline (and the regression found, if any). */
    verdict: jsonb('verdict').$type<Record<string, unknown>>(),
    /** Attempts of the change step started (a second one after a restart is a repeat with the same Idempotency-Key). */
    applyAttempts: integer('apply_attempts').notNull().default(0),
    /** Attempts of the undo step started. */
    undoAttempts: integer('undo_attempts').notNull().default(0),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: timestamptz('lease_expires_at'),
  },
  (t) => [
    index('changes_state_scheduled_for_idx').on(t.state, t.scheduledFor),
    index('changes_service_created_at_idx').on(t.service, t.createdAt),
    index('changes_applied_at_idx').on(t.appliedAt),
    check('changes_state_check', sql.raw(`"state" IN (${sqlList(CHANGE_STATES)})`)),
  ],
);

/** A row of {@link changes} as read. */
export type ChangeRow = typeof changes.$inferSelect;
/** A row of {@link changes} as inserted. */
export type NewChangeRow = typeof changes.$inferInsert;
