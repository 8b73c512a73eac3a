/**
 * The trainer service: learns the remediation policy (arms per anomaly
 * signature and playbook) and the playbooks' graduated autonomy from the
 * `outcomes` topic, the detector's recalibration from the `feedback` topic;
 * retrains the shared neural model and judges its shadow versions (the model
 * registry). Other code imports only this module.
 */
export { autonomyRuleOf, pinPlaybookMode } from './autonomy-store.ts';
export { applyFeedbackEvent, calibrationSettingsOf, episodeFeatures, type FeedbackResult } from './feedback-apply.ts';
export { type ModelCycleOptions, type ModelCycleResult, modelCycle } from './model-cycle.ts';
export { readLabelledWindows } from './model-data.ts';
export { type CandidateOptions, type CandidateResult, trainCandidate } from './model-training.ts';
export { type ApplyResult, applyOutcomeEvent, signatureOfExecution } from './outcome-apply.ts';
export {
  type DbOrTx,
  effectiveMode,
  readArmsFor,
  readArmsOfService,
  readModeHistory,
  readPlaybookModes,
  readPolicyDecision,
  recordPolicyDecision,
} from './policy-repo.ts';
export { playbookAutonomy, policyOfService } from './policy-view.ts';
export { createTrainer, TRAINER_FEEDBACK_GROUP, TRAINER_GROUP, type TrainerSettings } from './trainer.ts';
