import { bigserial, index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.ts';

/**
 * The audit log: who did what to which subject. Append-only: a trigger
 * (migration `0001_audit_log_append_only`) rejects UPDATE, DELETE and
 * TRUNCATE, so rows can only be inserted and read.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamptz('at').notNull().defaultNow(),
    /** `user:<name>`, `token:<role>`, `executor`, `trainer`, ... */
    actor: text('actor').notNull(),
    /** e.g. `playbook.create`, `execution.approve`, `step.run`. */
    action: text('action').notNull(),
    /** e.g. `playbook`, `execution`, `incident`. */
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id').notNull(),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index('audit_log_subject_idx').on(t.subjectType, t.subjectId), index('audit_log_at_idx').on(t.at)],
);

/** A row of {@link auditLog} as read. */
export type AuditLogRow = typeof auditLog.$inferSelect;
/** A row of {@link auditLog} as inserted. */
export type NewAuditLogRow = typeof auditLog.$inferInsert;
