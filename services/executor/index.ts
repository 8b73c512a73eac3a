/**
 * The executor service: playbooks (validated, versioned), guardrails and
 * durable, exactly-once, verified executions. Other code imports only this module.
 */

export { APPROVAL_EXPIRED, type ApprovalResult, approvalRefusal, approveExecution, expireApprovals } from './approvals.ts';
export { outcomeEventOf } from './decide.ts';
export type { DryRunResult } from './dry-run.ts';
export { completeAnomaly, type DryRunConfig, dryRun, pastAnomaly } from './dry-run.ts';
export * from './execution-queries.ts';
export type { ExecutorOptions, ExecutorSettings } from './executor.ts';
export { createExecutor } from './executor.ts';
export type { GuardrailDecision, GuardrailFacts, GuardrailName } from './guardrails.ts';
export { evaluateGuardrails, firstDenial, inFreezeWindow } from './guardrails.ts';
export type { MatchCheck, PlaybookVersionRef } from './matching.ts';
export { CompiledPlaybook, PlaybookCatalog } from './matching.ts';
export type { OutcomeOutbox, OutcomeOutboxSettings } from './outcome-outbox.ts';
export { createOutcomeOutbox, markOutcomePublished, publishOutcomeOf } from './outcome-outbox.ts';
export type { ApplyResult, StoredPlaybook, StoredVersion } from './playbook-repo.ts';
export { applyBundle, createPlaybook, deletePlaybook, getPlaybook, listPlaybooks, listVersions, updatePlaybook } from './playbook-repo.ts';
export * from './playbook-schema.ts';
export type { ValidationContext, ValidationResult } from './playbook-validate.ts';
export { assertPlaybook, parseDocument, validatePlaybook } from './playbook-validate.ts';
export { AddressGuard, restrictedKind, signBody } from './steps/index.ts';
export type { Redactor, TemplateContext } from './template.ts';
export { createRedactor, renderTemplate } from './template.ts';
