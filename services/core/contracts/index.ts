/**
 * Shared contracts: what crosses service boundaries (bus, store, API,
 * playbooks), defined once as TypeBox schemas with their types derived.
 */
export {
  type AnomalyEvent,
  AnomalyEventSchema,
  anomalyFields,
  type Evidence,
  EvidenceSchema,
  type OutcomeEvent,
  OutcomeEventSchema,
  type RootCause,
  RootCauseSchema,
} from './anomaly.ts';
export {
  ANOMALY_KINDS,
  type AnomalyKind,
  AnomalyKindSchema,
  EPISODE_STATES,
  type EpisodeState,
  EpisodeStateSchema,
  INCIDENT_STATES,
  type IncidentState,
  IncidentStateSchema,
  OUTCOMES,
  type Outcome,
  OutcomeSchema,
  RESOLVED_BY,
  type ResolvedBy,
  ResolvedBySchema,
  SEVERITIES,
  type Severity,
  SeveritySchema,
  StringEnum,
} from './enums.ts';
