/** Anomaly likelihood (pure): how unusual the recent scores are against their own history. */
export { normalTail, normalTailDecades } from './gaussian-tail.ts';
export { AnomalyLikelihood, DEFAULT_LIKELIHOOD, type LegacyLikelihoodState, type LikelihoodConfig, type LikelihoodState } from './likelihood.ts';
