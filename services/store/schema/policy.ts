import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { sqlList, timestamptz } from './columns.ts';

/**
 * The remediation policy's arms: the verified record of one playbook on one
 * anomaly signature (`service|kind|leading feature`). Written only by the
 * trainer, in the same transaction as the {@link policyOutcomes} row of the
 * outcome counted, so a redelivered outcome never counts twice.
 */
export const policyArms = pgTable(
  'policy_arms',
  {
    signature: text('signature').notNull(),
    service: text('service').notNull(),
    kind: text('kind').notNull(),
    playbookId: text('playbook_id').notNull(),
    successes: integer('successes').notNull().default(0),
    failures: integer('failures').notNull().default(0),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'policy_arms_pk', columns: [t.signature, t.playbookId] }), index('policy_arms_playbook_idx').on(t.playbookId)],
);

/** What the trainer did with an outcome: `counted` into an arm, or `observed` (an observe-mode would-run match). */
export const POLICY_OUTCOME_USES = ['counted', 'observed'] as const;

/**
 * Outcomes the trainer has applied, keyed by (execution id, use): the
 * idempotency record of the trainer (its checkpoint lives in the consumer
 * group's offsets; this makes replays after a crash harmless).
 */
export const policyOutcomes = pgTable(
  'policy_outcomes',
  {
    executionId: text('execution_id').notNull(),
    use: text('use').notNull(),
    outcome: text('outcome').notNull(),
    signature: text('signature').notNull(),
    playbookId: text('playbook_id').notNull(),
    appliedAt: timestamptz('applied_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'policy_outcomes_pk', columns: [t.executionId, t.use] }),
    index('policy_outcomes_applied_at_idx').on(t.appliedAt),
    check('policy_outcomes_use_check', sql.raw(`"use" IN (${sqlList(POLICY_OUTCOME_USES)})`)),
  ],
);

/**
 * The executor's choice among several matching playbooks (Thompson
 * sampling): the signature, the chosen playbook and every candidate with
 * its posterior and sampled value. One row per execution.
 */
export const policyDecisions = pgTable('policy_decisions', {
  executionId: text('execution_id').primaryKey(),
  signature: text('signature').notNull(),
  chosenPlaybookId: text('chosen_playbook_id').notNull(),
  /** `[{ playbookId, name, priority, alpha, beta, sampled, mode }]`. */
  candidates: jsonb('candidates').$type<unknown>().notNull(),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
});

/** Modes a playbook can be in. */
export const PLAYBOOK_EFFECTIVE_MODES = ['observe', 'suggest', 'auto'] as const;

/**
 * The effective mode of a playbook with an autonomy rule (or pinned by a
 * person), kept apart from its versioned spec: the trainer moves it by the
 * playbook's record; a pinned mode only moves through the API. Counters are
 * the autonomy state machine's (models/policy).
 */
export const playbookModes = pgTable(
  'playbook_modes',
  {
    playbookId: text('playbook_id').primaryKey(),
    mode: text('mode').notNull(),
    pinned: boolean('pinned').notNull().default(false),
    successes: integer('successes').notNull().default(0),
    failures: integer('failures').notNull().default(0),
    streak: integer('streak').notNull().default(0),
    observed: integer('observed').notNull().default(0),
    reason: text('reason').notNull().default(''),
    updatedBy: text('updated_by').notNull().default(''),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  () => [check('playbook_modes_mode_check', sql.raw(`"mode" IN (${sqlList(PLAYBOOK_EFFECTIVE_MODES)})`))],
);

/** A row of {@link policyArms} as read. */
export type PolicyArmRow = typeof policyArms.$inferSelect;
/** A row of {@link policyDecisions} as read. */
export type PolicyDecisionRow = typeof policyDecisions.$inferSelect;
/** A row of {@link playbookModes} as read. */
export type PlaybookModeRow = typeof playbookModes.$inferSelect;
