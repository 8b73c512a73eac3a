/**
 * The store: the zeroops schema and a client for Postgres or PGlite.
 * Other services import only this module.
 */

export type { PostgresTarget } from './postgres-store.ts';
export { describeDatabaseUrl, MIGRATION_LOCK_KEY } from './postgres-store.ts';
export type { RetentionKind, RetentionPolicy } from './retention.ts';
export { createRetentionJob, RETENTION_KINDS, retentionPolicyOf, runRetention } from './retention.ts';
export { type CoarseRollupPolicy, foldRollups, foldRows } from './rollup-fold.ts';
export {
  type AccessTokenRow,
  type AnomalyRow,
  type AuditLogRow,
  accessTokens,
  anomalies,
  auditLog,
  type DeploymentRow,
  type DetectorCheckpointRow,
  type DetectorInstanceRow,
  deployments,
  detectorCheckpoints,
  detectorInstances,
  EXECUTION_MODES,
  EXECUTION_STATUSES,
  type ExecutionMode,
  type ExecutionRow,
  type ExecutionStatus,
  type ExecutionStepRow,
  executionSteps,
  executions,
  FEEDBACK_LABELS,
  type FeedbackLabel,
  type FeedbackRow,
  feedback,
  INCIDENT_STATES,
  type IncidentRow,
  type IncidentState,
  incidents,
  type NewAnomalyRow,
  type NewAuditLogRow,
  type NewDeploymentRow,
  type NewDetectorCheckpointRow,
  type NewExecutionRow,
  type NewExecutionStepRow,
  type NewFeedbackRow,
  type NewIncidentRow,
  type NewPlaybookRow,
  type NewPlaybookVersionRow,
  type NewRollupRow,
  type NewServiceRow,
  PLAYBOOK_EFFECTIVE_MODES,
  type PlaybookModeRow,
  type PlaybookRow,
  type PlaybookVersionRow,
  POLICY_OUTCOME_USES,
  type PolicyArmRow,
  type PolicyDecisionRow,
  playbookModes,
  playbooks,
  playbookVersions,
  policyArms,
  policyDecisions,
  policyOutcomes,
  RESOLVED_BY,
  type ResolvedBy,
  type RollupRow,
  rollups,
  type ServiceRow,
  STEP_STATUSES,
  type StepStatus,
  services,
  TOKEN_ROLES,
  type TokenRole,
} from './schema/index.ts';
export { isStoreUnavailable, isUniqueViolation, SQLSTATE, sqlStateOf } from './sql-errors.ts';
export type { Db, Store, StoreKind, StoreSettings } from './store.ts';
export { createStore, DEFAULT_MIGRATIONS_DIR, DEFAULT_STATEMENT_TIMEOUT_MS, MEMORY_DATA_DIR, schema } from './store.ts';
