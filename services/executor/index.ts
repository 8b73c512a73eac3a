/**
 * The executor service: decides what to do about an anomaly (matching
 * playbook, guardrails), runs durable, exactly-once, verified executions,
 * handles approvals and publishes outcomes. Playbooks themselves (language,
 * validation, versions, matching) live in services/playbooks. Other code
 * imports only this module.
 */

export { type ApprovalResult, approvalRefusal, approveExecution, expireApprovals } from './approvals.ts';
export {
  assertChangeRequest,
  ChangeRequestSchema,
  type ChangeSpec,
  cancelChange,
  createChange,
  getChange,
  runChangeNow,
} from './changes/index.ts';
export { type Decision, decide } from './decide.ts';
export { type DeferralPlan, planDeferral, runDeferredNow } from './deferral.ts';
export { completeAnomaly, type DryRunConfig, type DryRunResult, dryRun, pastAnomaly } from './dry-run.ts';
export { cancelExecution, type ExecutionFilter, getExecutionDetail, listExecutions, rejectExecution } from './execution-queries.ts';
export { createExecutor, type ExecutorOptions, type ExecutorSettings } from './executor.ts';
export { evaluateForecasts } from './forecast-scaling.ts';
export { createOutcomeOutbox, type OutcomeOutbox, type OutcomeOutboxSettings, publishOutcomeOf } from './outcome-outbox.ts';
export { planScaling, type ScalingInput, type ScalingPlan } from './scaling-plan.ts';
export { createStepActivities, type StepActivities, type StepDeps, type StepRuntime, signBody } from './steps/index.ts';
