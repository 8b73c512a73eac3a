/**
 * The executor service: playbooks (validated, versioned), guardrails and
 * durable, exactly-once, verified executions. Other code imports only this module.
 */
export { createExecutor } from './executor.ts';
export type { ExecutorOptions, ExecutorSettings } from './executor.ts';
export { createOutcomeOutbox, markOutcomePublished, publishOutcomeOf } from './outcome-outbox.ts';
export type { OutcomeOutbox, OutcomeOutboxSettings } from './outcome-outbox.ts';
export * from './playbook-schema.ts';
export { assertPlaybook, parseDocument, validatePlaybook } from './playbook-validate.ts';
export type { ValidationContext, ValidationResult } from './playbook-validate.ts';
export { applyBundle, createPlaybook, deletePlaybook, getPlaybook, listPlaybooks, listVersions, updatePlaybook } from './playbook-repo.ts';
export type { ApplyResult, StoredPlaybook, StoredVersion } from './playbook-repo.ts';
export { CompiledPlaybook, PlaybookCatalog } from './matching.ts';
export type { MatchCheck, PlaybookVersionRef } from './matching.ts';
export { evaluateGuardrails, firstDenial, inFreezeWindow } from './guardrails.ts';
export type { GuardrailDecision, GuardrailFacts, GuardrailName } from './guardrails.ts';
export { createRedactor, renderTemplate } from './template.ts';
export type { Redactor, TemplateContext } from './template.ts';
export { AddressGuard, restrictedKind, signBody } from './steps/index.ts';
export { outcomeEventOf } from './decide.ts';
export { completeAnomaly, dryRun, pastAnomaly } from './dry-run.ts';
export type { DryRunResult } from './dry-run.ts';
export * from './execution-queries.ts';
