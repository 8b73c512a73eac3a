/** Root-cause ranking over the call graph (pure). */
export { type RankedCause, type RankInput, rankRootCauses, type ServiceEvidence } from './rank.ts';
