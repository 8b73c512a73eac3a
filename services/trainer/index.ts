/**
 * The trainer service: learns the remediation policy (arms per anomaly
 * signature and playbook) and the playbooks' graduated autonomy from the
 * `outcomes` topic, and the detector's recalibration from the `feedback`
 * topic. Other code imports only this module.
 */
export { autonomyRuleOf, pinPlaybookMode } from './autonomy-store.ts';
export { applyFeedbackEvent, calibrationSettingsOf, episodeFeatures, type FeedbackResult } from './feedback-apply.ts';
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
