/**
 * The learned remediation policy (pure): Beta posteriors per (anomaly
 * signature, playbook) with priors pooled across services, Thompson
 * sampling, lower confidence bounds and the graduated-autonomy state machine.
 */
export type { AutonomyEvent, AutonomyMode, AutonomyRule, AutonomyState, ModeChange, PromotionThreshold } from './autonomy.ts';
export { AUTONOMY_MODES, initialAutonomy, pinAutonomy, stepAutonomy } from './autonomy.ts';
export { betaCdf, betaQuantile, sampleBeta } from './beta.ts';
export type { ArmRecord, BetaPosterior, PolicyOutcome, PoolingOptions } from './posterior.ts';
export {
  applyOutcome,
  DEFAULT_POOLING,
  kindOfSignature,
  lowerBound,
  outcomeEffect,
  pooledPrior,
  posteriorMean,
  posteriorOf,
  signatureOf,
} from './posterior.ts';
export type { Candidate, SampledCandidate, ThompsonChoice } from './thompson.ts';
export { policyChoose, thompsonChoose } from './thompson.ts';
