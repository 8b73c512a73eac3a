import { sql } from 'drizzle-orm';
import { boolean, check, doublePrecision, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, unique } from 'drizzle-orm/pg-core';
import { sqlList, timestamptz } from './columns.ts';
import { playbookVersions } from './playbooks.ts';

/** Execution modes of a playbook. */
export const EXECUTION_MODES = ['observe', 'suggest', 'auto'] as const;
/** Mode an execution ran in. */
export type ExecutionMode = (typeof EXECUTION_MODES)[number];
/** Lifecycle states of an execution. */
export const EXECUTION_STATUSES = ['pending', 'running', 'awaiting_approval', 'succeeded', 'failed', 'cancelled', 'skipped', 'timed_out'] as const;
/** State of an execution. */
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];
/** Lifecycle states of one step of an execution. */
export const STEP_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'undone', 'unknown'] as const;
/** State of an execution step. */
export type StepStatus = (typeof STEP_STATUSES)[number];

/**
 * Playbook executions. UNIQUE (episode_id, playbook_id, attempt): one
 * execution per episode, playbook and attempt, so redelivered anomalies and
 * executor replicas cannot start a second one (insert with
 * `onConflictDoNothing`). A follow-up run of a playbook on its incident
 * (services/executor/follow-up.ts) is a new row with a higher `attempt`; the
 * earlier rows stay, and "the execution of (episode, playbook)" is the one
 * with the highest attempt.
 * `leaseOwner`/`leaseExpiresAt` let a restarted or other executor take over
 * an unfinished execution once its lease has expired. `outcomePublished` is
 * the outbox marker of the outcome event.
 */
export const executions = pgTable(
  'executions',
  {
    id: text('id').primaryKey(),
    episodeId: text('episode_id').notNull(),
    anomalyId: text('anomaly_id').notNull(),
    service: text('service').notNull(),
    playbookId: text('playbook_id').notNull(),
    playbookVersion: integer('playbook_version').notNull(),
    /**
     * Which run of its playbook on its incident this is: 0 for the first (and
     * for every row written before migration 0008), n for the follow-up
     * `<first id>~<n>` (n >= 2).
     */
    attempt: integer('attempt').notNull().default(0),
    mode: text('mode').$type<ExecutionMode>().notNull(),
    status: text('status').$type<ExecutionStatus>().notNull().default('pending'),
    /** `resolved` | `not_resolved` | `made_worse` | `undone` | `escalated` | `skipped` | `awaiting_approval`, once decided. */
    outcome: text('outcome'),
    reason: text('reason').notNull().default(''),
    scoreBefore: doublePrecision('score_before').notNull(),
    scoreAfter: doublePrecision('score_after'),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: timestamptz('lease_expires_at'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
    finishedAt: timestamptz('finished_at'),
    /**
     * Outbox marker: true once the current `outcome` was published on the
     * `outcomes` topic. Every write of a new outcome sets it back to false; the
     * executor's outcome sweep republishes rows left false (at-least-once).
     */
    outcomePublished: boolean('outcome_published').notNull().default(false),
    /** A deferred execution (deferrable playbook) waits as `pending` until this time; null: runnable at once. */
    scheduledFor: timestamptz('scheduled_for'),
    /** Why it was scheduled then (the quiet window chosen from the load forecast), or why it ran early. */
    scheduleReason: text('schedule_reason'),
    /** A forecast-triggered execution: the forecast and the replica decision that justified it (null for anomaly-triggered ones). */
    forecast: jsonb('forecast').$type<Record<string, unknown>>(),
  },
  (t) => [
    unique('executions_episode_playbook_attempt_unique').on(t.episodeId, t.playbookId, t.attempt),
    index('executions_service_created_at_idx').on(t.service, t.createdAt),
    index('executions_status_idx').on(t.status),
    // Guardrail counts per playbook and fleet-wide over the last hour read these instead of the whole table.
    index('executions_playbook_created_at_idx').on(t.playbookId, t.createdAt),
    index('executions_created_at_idx').on(t.createdAt),
    // The retention job deletes finished executions by finishing time.
    index('executions_finished_at_idx').on(t.finishedAt).where(sql`"finished_at" IS NOT NULL`),
    index('executions_outcome_unpublished_idx').on(t.updatedAt).where(sql`"outcome" IS NOT NULL AND NOT "outcome_published"`),
    foreignKey({
      name: 'executions_playbook_version_fk',
      columns: [t.playbookId, t.playbookVersion],
      foreignColumns: [playbookVersions.playbookId, playbookVersions.version],
    }),
    check('executions_mode_check', sql.raw(`"mode" IN (${sqlList(EXECUTION_MODES)})`)),
    check('executions_status_check', sql.raw(`"status" IN (${sqlList(EXECUTION_STATUSES)})`)),
  ],
);

/**
 * The durable steps of an execution, written before and after each step.
 * `idempotencyKey` (`<episode>:<playbookId>@<version>:<step>`, chosen by the
 * executor) is unique, so a step's side effect is recorded at most once.
 */
export const executionSteps = pgTable(
  'execution_steps',
  {
    executionId: text('execution_id').notNull(),
    stepIndex: integer('step_index').notNull(),
    name: text('name').notNull(),
    type: text('type').notNull(),
    idempotencyKey: text('idempotency_key').notNull().unique('execution_steps_idempotency_key_unique'),
    status: text('status').$type<StepStatus>().notNull().default('pending'),
    attempt: integer('attempt').notNull().default(0),
    /** Attempts sent again because the attempt before them started and its result was never recorded (its owner died). */
    repeats: integer('repeats').notNull().default(0),
    request: jsonb('request').$type<unknown>(),
    response: jsonb('response').$type<unknown>(),
    error: text('error'),
    startedAt: timestamptz('started_at'),
    finishedAt: timestamptz('finished_at'),
  },
  (t) => [
    primaryKey({ name: 'execution_steps_pk', columns: [t.executionId, t.stepIndex] }),
    foreignKey({ name: 'execution_steps_execution_fk', columns: [t.executionId], foreignColumns: [executions.id] }).onDelete('cascade'),
    check('execution_steps_status_check', sql.raw(`"status" IN (${sqlList(STEP_STATUSES)})`)),
  ],
);

/** A row of {@link executions} as read. */
export type ExecutionRow = typeof executions.$inferSelect;
/** A row of {@link executions} as inserted. */
export type NewExecutionRow = typeof executions.$inferInsert;
/** A row of {@link executionSteps} as read. */
export type ExecutionStepRow = typeof executionSteps.$inferSelect;
/** A row of {@link executionSteps} as inserted. */
export type NewExecutionStepRow = typeof executionSteps.$inferInsert;
