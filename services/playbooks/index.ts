/**
 * Playbook management: the playbook language (schema, each step type's
 * parameters, templates, which targets a step may call), validation, the
 * versions repository, matching, the catalog cache and bundle (GitOps)
 * parsing. The executor runs what this module defines; other code imports
 * only this module.
 */

export { CompiledPlaybook, type MatchCheck, PlaybookCatalog, type PlaybookVersionRef } from './matching.ts';
export { AddressGuard, type Resolver, restrictedKind } from './net-guard.ts';
export { MAX_BUNDLE, parseBundle, parsePlaybookBody, validateBundle } from './playbook-bundle.ts';
export { createCatalogCache } from './playbook-catalog.ts';
export {
  type ApplyResult,
  applyBundle,
  createPlaybook,
  deletePlaybook,
  getPlaybook,
  getVersion,
  listPlaybooks,
  listVersions,
  type StoredPlaybook,
  type StoredVersion,
  updatePlaybook,
} from './playbook-repo.ts';
export {
  ActionSchema,
  type ActionSpec,
  ANOMALY_KINDS,
  type DeferrableSpec,
  type ForecastTrigger,
  type FreezeWindow,
  forecastTriggerOf,
  type GuardrailsSpec,
  type HttpParams,
  type KubernetesParams,
  MUTATING_STEP_TYPES,
  type NotifyParams,
  type Playbook,
  type PlaybookProblem,
  PlaybookSchema,
  SEVERITIES,
  type StepSpec,
  type StepType,
  safeToRepeat,
  TRIGGER_TYPES,
  type TriggerSpec,
} from './playbook-schema.ts';
export { assertPlaybook, parseDocument, type ValidationContext, type ValidationResult, validatePlaybook } from './playbook-validate.ts';
export {
  type ConditionContext,
  type ConditionNode,
  type ConditionResult,
  conditionProblems,
  type DeployView,
  evaluateCondition,
  parseCondition,
  type StepResultView,
} from './step-condition.ts';
export { createRedactor, parseTemplate, type Redactor, renderTemplate, type TemplateContext } from './template.ts';
export { renderArgs, renderHeader, renderJsonValue, renderStringBody, renderUrl, urlTemplateShape } from './template-contexts.ts';
