import { type Static, Type } from '@sinclair/typebox';
import { AnomalyKindSchema, EpisodeStateSchema, OutcomeSchema, SeveritySchema } from './enums.ts';

/**
 * The anomaly contract, defined once. The bus message (`zeroops.v1.Anomaly`
 * in proto/zeroops/v1/events.proto, same field names in camelCase), the
 * store's jsonb column types and check lists, the API's response schemas and
 * the playbook match enums all derive from these schemas; a test checks that
 * the proto's documented values agree with them.
 */

/** One deviating feature of an anomaly (`zeroops.v1.Evidence`). */
export const EvidenceSchema = Type.Object(
  {
    feature: Type.String({ description: 'Feature name, e.g. latency_p99_ms, error_ratio.' }),
    observed: Type.Number(),
    expected: Type.Number(),
    deviation: Type.Number({ description: 'Signed deviation, in robust standard deviations.' }),
  },
  { title: 'Evidence' },
);
/** One deviating feature of an anomaly. */
export type Evidence = Static<typeof EvidenceSchema>;

/** A service that may explain an anomaly, ranked over the call graph (`zeroops.v1.RootCause`). */
export const RootCauseSchema = Type.Object(
  {
    service: Type.String(),
    score: Type.Number({ description: 'In [0, 1]; higher is more likely the cause.' }),
    reason: Type.String(),
  },
  { title: 'RootCause' },
);
/** A service that may explain an anomaly. */
export type RootCause = Static<typeof RootCauseSchema>;

/**
 * The fields of an anomaly that every representation shares (bus, store, API);
 * the representations differ only in how they carry times.
 */
export const anomalyFields = {
  id: Type.String({ description: 'Unique: episode id + window end.' }),
  service: Type.String(),
  episodeId: Type.String(),
  score: Type.Number({ description: 'Combined anomaly score in [0, 1].' }),
  likelihood: Type.Number({ description: 'Anomaly likelihood in [0, 1].' }),
  severity: SeveritySchema,
  kind: AnomalyKindSchema,
  evidence: Type.Array(EvidenceSchema),
  rootCauses: Type.Array(RootCauseSchema),
  modelVersion: Type.String(),
  episodeState: EpisodeStateSchema,
  flapping: Type.Boolean({ description: 'Whether the episode keeps opening and closing.' }),
  attributes: Type.Record(Type.String(), Type.String()),
};

/** An anomaly event, value of the `anomalies` topic (`zeroops.v1.Anomaly`). Times in Unix ms. */
export const AnomalyEventSchema = Type.Object({
  ...anomalyFields,
  windowStartUnixMs: Type.Number(),
  windowEndUnixMs: Type.Number(),
  detectedUnixMs: Type.Number(),
  recoveryStartUnixMs: Type.Number({
    description:
      'On a closed event: start of the first window of the run of windows back within expectation that closed the episode (when the recovery began); 0 otherwise.',
  }),
});
/** An anomaly event as plain data. Times in Unix ms. */
export type AnomalyEvent = Static<typeof AnomalyEventSchema>;

/** The result of one execution, value of the `outcomes` topic (`zeroops.v1.Outcome`). */
export const OutcomeEventSchema = Type.Object({
  executionId: Type.String(),
  episodeId: Type.String(),
  service: Type.String(),
  playbookId: Type.String(),
  playbookVersion: Type.Integer(),
  outcome: OutcomeSchema,
  reason: Type.String(),
  scoreBefore: Type.Number(),
  scoreAfter: Type.Number(),
  decidedUnixMs: Type.Number(),
  anomalyKind: Type.String({ description: 'The anomaly kind the execution answered (empty when unknown).' }),
});
/** The result of one execution. */
export type OutcomeEvent = Static<typeof OutcomeEventSchema>;
