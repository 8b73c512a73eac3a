/** Root-cause ranking over the call graph (pure). */

export { PENDING_LEVEL, type PileUp, pileUpOrigin, poolExhausted } from './pool-pileup.ts';
export { type RankedCause, type RankInput, rankRootCauses, type ServiceEvidence } from './rank.ts';
export { SHARED_CAUSE, type SharedCauseOptions, type SharedSlowdown, sharedSlowdown } from './shared-cause.ts';
export { type CallWait, STALL_FACTOR, waitedCallee } from './waited-callee.ts';
