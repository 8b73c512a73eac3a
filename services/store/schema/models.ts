import { sql } from 'drizzle-orm';
import { check, doublePrecision, index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { sqlList, timestamptz } from './columns.ts';

/** What a registered model is: the shared neural model, per-service calibration, or the baselines' parameters. */
export const MODEL_KINDS = ['neural', 'calibration', 'baselines'] as const;
/** A model kind. */
export type ModelKind = (typeof MODEL_KINDS)[number];
/** Where a version stands: scored beside the active one (`shadow`), run (`active`), or set aside (`retired`). */
export const MODEL_STATES = ['shadow', 'active', 'retired'] as const;
/** A model version's state. */
export type ModelState = (typeof MODEL_STATES)[number];

/**
 * The model registry: every version of a model the detector runs or could
 * run. At most one version per kind (and service, for `calibration`) is `active`, and one `shadow` (partial unique indexes);
 * a `shadow` version is scored beside it on the same live windows, its
 * paired counts (`shadow_*`, `baseline_alarms`) added up by every detector
 * replica, until the trainer's gate promotes or retires it. `params` holds
 * the weights or parameters (JSON); `quality` the figures it was judged by.
 */
export const modelVersions = pgTable(
  'model_versions',
  {
    id: text('id').primaryKey(),
    kind: text('kind').$type<ModelKind>().notNull(),
    state: text('state').$type<ModelState>().notNull(),
    parentId: text('parent_id'),
    /** The service a per-service version (`calibration`) belongs to; empty for fleet-wide kinds. */
    service: text('service').notNull().default(''),
    /** The service's calibration version number (`detector_calibrations.version`); null for other kinds. */
    version: integer('version'),
    /** Why the version exists (how it was made). */
    reason: text('reason').notNull().default(''),
    /** Why it was last promoted, retired or rolled back, and by whom (empty until then). */
    decision: text('decision').notNull().default(''),
    quality: jsonb('quality').$type<Record<string, unknown>>().notNull().default({}),
    params: jsonb('params').$type<unknown>(),
    /** Live windows (judged normal by the active model) the shadow version was scored on, across replicas. */
    shadowWindows: integer('shadow_windows').notNull().default(0),
    /** Of those, windows the shadow version alarmed on (its error above its threshold). */
    shadowAlarms: integer('shadow_alarms').notNull().default(0),
    /** Of the same windows, those the active version alarmed on (its error above its own threshold). */
    baselineAlarms: integer('baseline_alarms').notNull().default(0),
    /** Sum of the shadow version's reconstruction errors over `shadow_windows` (the mean is shown). */
    shadowErrorSum: doublePrecision('shadow_error_sum').notNull().default(0),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    promotedAt: timestamptz('promoted_at'),
    retiredAt: timestamptz('retired_at'),
  },
  (t) => [
    // Per kind and service: a calibration has an active version per service, the fleet-wide kinds one (service '').
    uniqueIndex('model_versions_one_active_idx').on(t.kind, t.service).where(sql`"state" = 'active'`),
    // One shadow at a time per kind: two trainer replicas registering at once cannot both succeed.
    uniqueIndex('model_versions_one_shadow_idx').on(t.kind, t.service).where(sql`"state" = 'shadow'`),
    index('model_versions_kind_state_idx').on(t.kind, t.state),
    check('model_versions_kind_check', sql.raw(`"kind" IN (${sqlList(MODEL_KINDS)})`)),
    check('model_versions_state_check', sql.raw(`"state" IN (${sqlList(MODEL_STATES)})`)),
  ],
);

/** A row of {@link modelVersions} as read. */
export type ModelVersionRow = typeof modelVersions.$inferSelect;
/** A row of {@link modelVersions} as inserted. */
export type NewModelVersionRow = typeof modelVersions.$inferInsert;
