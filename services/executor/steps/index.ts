import type { StepType } from '../../playbooks/index.ts';
import { createCommandStep } from './command-step.ts';
import { createHttpStep } from './http-step.ts';
import { createKubernetesStep } from './kubernetes-step.ts';
import { createNotifyStep } from './notify-step.ts';
import type { StepActivity, StepDeps } from './types.ts';
import { createVerifyStep, createWaitStep } from './wait-verify-step.ts';

export { signBody } from './http-step.ts';
export type { IncidentView, StepActivity, StepDeps, StepOutput, StepRuntime, VerifyVerdict } from './types.ts';

/** The side effects of every step type, bound to their dependencies (Temporal-style activities). */
export type StepActivities = Record<StepType, StepActivity>;

/** Creates one activity per step type. */
export function createStepActivities(deps: StepDeps): StepActivities {
  return {
    http: createHttpStep(deps),
    notify: createNotifyStep(deps),
    command: createCommandStep(deps),
    kubernetes: createKubernetesStep(deps),
    wait: createWaitStep(deps),
    verify: createVerifyStep(deps),
  };
}
