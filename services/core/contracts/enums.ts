import { type SchemaOptions, type TLiteral, type TUnion, Type } from '@sinclair/typebox';

/**
 * A TypeBox union of string literals built from a `const` list, so a value
 * list is written once and both the TypeScript type and the JSON schema
 * (`anyOf` of `const`s) come from it.
 */
export function StringEnum<const T extends readonly string[]>(values: T, opts: SchemaOptions = {}): TUnion<LiteralsOf<T>> {
  return Type.Union(
    values.map((v) => Type.Literal(v)),
    opts,
  ) as unknown as TUnion<LiteralsOf<T>>;
}

/** One literal schema per value of a `const` string list, as a tuple. */
type LiteralsOf<T extends readonly string[]> = { -readonly [K in keyof T]: TLiteral<T[K]> };

/** Severities of an anomaly, in increasing order. */
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
/** Severity of an anomaly. */
export type Severity = (typeof SEVERITIES)[number];

/** What kind of signal is anomalous. */
export const ANOMALY_KINDS = ['latency', 'errors', 'traffic', 'saturation', 'logs'] as const;
/** What kind of signal is anomalous. */
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

/** Where in its episode an anomaly event is: the first window, a later one, or the close. */
export const EPISODE_STATES = ['open', 'ongoing', 'closed'] as const;
/** Where in its episode an anomaly event is. */
export type EpisodeState = (typeof EPISODE_STATES)[number];

/** States of an incident (one per episode). */
export const INCIDENT_STATES = ['open', 'closed'] as const;
/** State of an incident. */
export type IncidentState = (typeof INCIDENT_STATES)[number];

/** Who resolved an incident: a playbook (`auto`), a person (`human`) or nobody (`self`). */
export const RESOLVED_BY = ['auto', 'human', 'self'] as const;
/** Who resolved an incident. */
export type ResolvedBy = (typeof RESOLVED_BY)[number];

/** The result of one execution, as the `outcomes` topic carries it. */
export const OUTCOMES = ['resolved', 'not_resolved', 'made_worse', 'undone', 'escalated', 'skipped', 'awaiting_approval', 'recovered_before_action'] as const;
/** The result of one execution. */
export type Outcome = (typeof OUTCOMES)[number];

/** Schema of {@link Severity}. */
export const SeveritySchema = StringEnum(SEVERITIES, { description: 'info | warning | critical' });
/** Schema of {@link AnomalyKind}. */
export const AnomalyKindSchema = StringEnum(ANOMALY_KINDS, { description: 'latency | errors | traffic | saturation | logs' });
/** Schema of {@link EpisodeState}. */
export const EpisodeStateSchema = StringEnum(EPISODE_STATES, { description: 'open (first window) | ongoing | closed' });
/** Schema of {@link IncidentState}. */
export const IncidentStateSchema = StringEnum(INCIDENT_STATES);
/** Schema of {@link ResolvedBy}. */
export const ResolvedBySchema = StringEnum(RESOLVED_BY);
/** Schema of {@link Outcome}. */
export const OutcomeSchema = StringEnum(OUTCOMES);
