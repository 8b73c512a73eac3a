/**
 * The zeroops database schema (drizzle). One file per concern; this module is
 * what drizzle-kit reads (see drizzle.config.ts) and what `Db` is typed with.
 */

export {
  type AnomalyRow,
  anomalies,
  INCIDENT_STATES,
  type IncidentRow,
  type IncidentState,
  incidents,
  type NewAnomalyRow,
  type NewIncidentRow,
  type NewRollupRow,
  RESOLVED_BY,
  type ResolvedBy,
  type RollupRow,
  rollups,
} from './anomalies.ts';
export { type AuditLogRow, auditLog, type NewAuditLogRow } from './audit.ts';
export { calibrationLabels, type DetectorCalibrationRow, detectorCalibrations } from './calibration.ts';
export { CHANGE_STATES, type ChangeRow, type ChangeState, changes, type NewChangeRow } from './changes.ts';
export { type DeploymentRow, deployments, type NewDeploymentRow } from './deployments.ts';
export { type DetectorCheckpointRow, type DetectorInstanceRow, detectorCheckpoints, detectorInstances, type NewDetectorCheckpointRow } from './detector.ts';
export {
  EXECUTION_MODES,
  EXECUTION_STATUSES,
  type ExecutionMode,
  type ExecutionRow,
  type ExecutionStatus,
  type ExecutionStepRow,
  executionSteps,
  executions,
  type NewExecutionRow,
  type NewExecutionStepRow,
  STEP_STATUSES,
  type StepStatus,
} from './executions.ts';
export { FEEDBACK_LABELS, type FeedbackLabel, type FeedbackRow, feedback, type NewFeedbackRow } from './feedback.ts';
export { MODEL_KINDS, MODEL_STATES, type ModelKind, type ModelState, type ModelVersionRow, modelVersions, type NewModelVersionRow } from './models.ts';
export { type NewPlaybookRow, type NewPlaybookVersionRow, type PlaybookRow, type PlaybookVersionRow, playbooks, playbookVersions } from './playbooks.ts';
export {
  PLAYBOOK_EFFECTIVE_MODES,
  type PlaybookModeRow,
  POLICY_OUTCOME_USES,
  type PolicyArmRow,
  type PolicyDecisionRow,
  playbookModes,
  policyArms,
  policyDecisions,
  policyOutcomes,
} from './policy.ts';
export { type NewServiceRow, type ServiceRow, services } from './services.ts';
export { type AccessTokenRow, accessTokens, TOKEN_ROLES, type TokenRole } from './tokens.ts';
