import { sql } from 'drizzle-orm';
import { boolean, check, doublePrecision, index, integer, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import {
  type AnomalyKind,
  type EpisodeState,
  type Evidence,
  INCIDENT_STATES,
  type IncidentState,
  RESOLVED_BY,
  type ResolvedBy,
  type RootCause,
  type Severity,
} from '../../core/contracts/index.ts';
import { sqlList, timestamptz } from './columns.ts';

/**
 * Anomaly events, one row per `zeroops.v1.Anomaly`. The primary key is the
 * event id, so a redelivered event inserts nothing (`onConflictDoNothing`).
 */
export const anomalies = pgTable(
  'anomalies',
  {
    id: text('id').primaryKey(),
    service: text('service').notNull(),
    episodeId: text('episode_id').notNull(),
    windowStart: timestamptz('window_start').notNull(),
    windowEnd: timestamptz('window_end').notNull(),
    /** Combined score in [0, 1]. */
    score: doublePrecision('score').notNull(),
    /** Anomaly likelihood in [0, 1]. */
    likelihood: doublePrecision('likelihood').notNull(),
    severity: text('severity').$type<Severity>().notNull(),
    kind: text('kind').$type<AnomalyKind>().notNull(),
    evidence: jsonb('evidence').$type<Evidence[]>().notNull().default([]),
    rootCauses: jsonb('root_causes').$type<RootCause[]>().notNull().default([]),
    modelVersion: text('model_version').notNull().default(''),
    episodeState: text('episode_state').$type<EpisodeState>().notNull(),
    flapping: boolean('flapping').notNull().default(false),
    attributes: jsonb('attributes').$type<Record<string, string>>().notNull().default({}),
    detectedAt: timestamptz('detected_at').notNull(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('anomalies_service_window_end_idx').on(t.service, t.windowEnd),
    index('anomalies_episode_id_idx').on(t.episodeId),
    // The retention job deletes by age across services.
    index('anomalies_window_end_idx').on(t.windowEnd),
  ],
);

// The incident enums come from the shared contract; re-exported for the store's users.
export { INCIDENT_STATES, type IncidentState, RESOLVED_BY, type ResolvedBy };

/**
 * Incidents, one per detector episode (id = episode id). Updated as the
 * episode evolves; the KPIs (MTTR, share needing a human) are computed from it.
 */
export const incidents = pgTable(
  'incidents',
  {
    id: text('id').primaryKey(),
    service: text('service').notNull(),
    kind: text('kind').$type<AnomalyKind>().notNull(),
    severity: text('severity').$type<Severity>().notNull(),
    state: text('state').$type<IncidentState>().notNull().default('open'),
    openedAt: timestamptz('opened_at').notNull(),
    closedAt: timestamptz('closed_at'),
    /**
     * Of a closed incident: when its recovery began, the start of the first
     * window of the run of windows back within expectation that closed it
     * (the detector's `recoveryStartUnixMs`); null when unknown.
     */
    recoveryStartedAt: timestamptz('recovery_started_at'),
    maxScore: doublePrecision('max_score').notNull().default(0),
    lastScore: doublePrecision('last_score').notNull().default(0),
    flapping: boolean('flapping').notNull().default(false),
    neededHuman: boolean('needed_human').notNull().default(false),
    resolvedBy: text('resolved_by').$type<ResolvedBy>(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('incidents_service_opened_at_idx').on(t.service, t.openedAt),
    index('incidents_state_idx').on(t.state),
    // The retention job deletes closed incidents by closing time.
    index('incidents_closed_at_idx').on(t.closedAt).where(sql`"state" = 'closed'`),
    check('incidents_state_check', sql.raw(`"state" IN (${sqlList(INCIDENT_STATES)})`)),
    check('incidents_resolved_by_check', sql.raw(`"resolved_by" IS NULL OR "resolved_by" IN (${sqlList(RESOLVED_BY)})`)),
  ],
);

/**
 * Per-service window features (one row per service and window end), for
 * reports and retraining. `features` maps feature name to value.
 */
export const rollups = pgTable(
  'rollups',
  {
    service: text('service').notNull(),
    windowEnd: timestamptz('window_end').notNull(),
    features: jsonb('features').$type<Record<string, number>>().notNull(),
    score: doublePrecision('score').notNull(),
    /**
     * What the baseline expected of each feature at this window: feature name to
     * `[expected, lower, upper]` in the feature's unit (the band is where the
     * feature scores below 0.5, i.e. raises no evidence). Empty while warming up.
     */
    expected: jsonb('expected').$type<Record<string, [number, number, number]>>().notNull().default({}),
    /** Calls the service made to each callee in this window (callee service name to number of client calls). */
    callees: jsonb('callees').$type<Record<string, number>>().notNull().default({}),
    /** Of those calls, the failed ones per callee (client or matched server span with error status). */
    calleeErrors: jsonb('callee_errors').$type<Record<string, number>>().notNull().default({}),
    /** Length of the window this row summarises, in seconds: 0 for a detector window, more for a coarser rollup made by retention. */
    stepSeconds: integer('step_seconds').notNull().default(0),
  },
  (t) => [
    primaryKey({ name: 'rollups_pk', columns: [t.service, t.windowEnd] }),
    // The retention job deletes by age across services.
    index('rollups_window_end_idx').on(t.windowEnd),
  ],
);

/** A row of {@link anomalies} as read. */
export type AnomalyRow = typeof anomalies.$inferSelect;
/** A row of {@link anomalies} as inserted. */
export type NewAnomalyRow = typeof anomalies.$inferInsert;
/** A row of {@link incidents} as read. */
export type IncidentRow = typeof incidents.$inferSelect;
/** A row of {@link incidents} as inserted. */
export type NewIncidentRow = typeof incidents.$inferInsert;
/** A row of {@link rollups} as read. */
export type RollupRow = typeof rollups.$inferSelect;
/** A row of {@link rollups} as inserted. */
export type NewRollupRow = typeof rollups.$inferInsert;
