import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { PlaybookSchema } from '../playbooks/index.ts';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Time = (description?: string) => Type.String({ format: 'date-time', ...(description ? { description } : {}) });
const Cursor = Nullable(Type.String({ description: 'Pass as ?cursor= to get the next page; null on the last page.' }));
/** A page of `item`s under the name `$id`: `{ items, nextCursor }`. */
const PageOf = <T extends TSchema>($id: string, item: T) => Type.Object({ items: Type.Array(Type.Ref(item)), nextCursor: Cursor }, { $id });

/** Body of every error answer: a stable code, a message saying what to fix, and per-field details. */
export const ApiErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable, e.g. ZEROOPS_REQUEST_INVALID, ZEROOPS_NOT_FOUND, ZEROOPS_CURSOR_INVALID.' }),
      message: Type.String(),
      details: Type.Optional(Type.Unknown({ description: 'Usually [{ path, message }], one per problem.' })),
    }),
  },
  { $id: 'ApiError' },
);

const Evidence = Type.Object({
  feature: Type.String(),
  observed: Type.Number(),
  expected: Type.Number(),
  deviation: Type.Number({ description: 'Signed, in robust standard deviations.' }),
});
const RootCause = Type.Object({ service: Type.String(), score: Type.Number({ description: 'In [0, 1].' }), reason: Type.String() });

/** An anomaly as the API returns it. */
export const AnomalySchema = Type.Object(
  {
    id: Type.String(),
    service: Type.String(),
    episodeId: Type.String(),
    windowStart: Time(),
    windowEnd: Time(),
    score: Type.Number({ description: 'Combined anomaly score in [0, 1].' }),
    likelihood: Type.Number(),
    severity: Type.String(),
    kind: Type.String(),
    evidence: Type.Array(Evidence),
    rootCauses: Type.Array(RootCause),
    modelVersion: Type.String(),
    episodeState: Type.String(),
    flapping: Type.Boolean(),
    attributes: Type.Record(Type.String(), Type.String(), {
      description:
        "The service's resource attributes kept by the detector (ZEROOPS_DETECTOR_ATTRIBUTES), as playbooks' match.attributes sees them; " +
        'plus `zeroops.model_state: warming_up` while the service has been seen for too short a time to judge severity.',
    }),
    detectedAt: Time(),
  },
  { $id: 'Anomaly' },
);

/** An incident (one detector episode). */
export const IncidentSchema = Type.Object(
  {
    id: Type.String(),
    service: Type.String(),
    kind: Type.String(),
    severity: Type.String(),
    state: Type.String(),
    openedAt: Time(),
    closedAt: Nullable(Time()),
    maxScore: Type.Number(),
    lastScore: Type.Number(),
    flapping: Type.Boolean(),
    resolvedBy: Type.Union([Type.Literal('auto'), Type.Literal('human'), Type.Literal('self'), Type.Null()], {
      description:
        'Who resolved it: auto (an automatic execution verified the fix), human (a person approved the fix), self (closed with no action that worked); null while open or while an execution is still under way.',
    }),
    neededHuman: Type.Boolean({ description: 'Whether a person had to act (approve, reject) or an execution escalated.' }),
    updatedAt: Time(),
    labels: Type.Optional(
      Type.Array(
        Type.Object({
          id: Type.String(),
          label: Type.Union([Type.Literal('true_positive'), Type.Literal('false_positive'), Type.Literal('missed')]),
          actor: Type.String(),
          note: Type.String(),
          createdAt: Time(),
        }),
        { description: 'Its human labels, oldest first (in list pages; the latest true/false-positive label is the one that counts).' },
      ),
    ),
  },
  { $id: 'Incident' },
);

/** One playbook execution. */
export const ExecutionSchema = Type.Object(
  {
    id: Type.String(),
    episodeId: Type.String({ description: 'The incident it acts on.' }),
    anomalyId: Type.String(),
    service: Type.String(),
    playbookId: Type.String(),
    playbookVersion: Type.Integer(),
    attempt: Type.Integer({
      description: 'Which run of its playbook on its incident: 0 for the first, n for the follow-up `<first id>~<n>` (earlier runs keep their rows).',
    }),
    mode: Type.String({ description: 'observe, suggest or auto.' }),
    status: Type.String({ description: 'pending, running, awaiting_approval, succeeded, failed, cancelled, skipped, timed_out.' }),
    outcome: Nullable(
      Type.String({ description: 'resolved, not_resolved, made_worse, undone, escalated, skipped, awaiting_approval, recovered_before_action.' }),
    ),
    reason: Type.String(),
    scoreBefore: Type.Number(),
    scoreAfter: Nullable(Type.Number()),
    leaseOwner: Nullable(Type.String()),
    leaseExpiresAt: Nullable(Time()),
    createdAt: Time(),
    updatedAt: Time(),
    finishedAt: Nullable(Time()),
    outcomePublished: Type.Boolean(),
    scheduledFor: Nullable(
      Time('A deferred execution (deferrable playbook) waits as pending until this time: the quiet window chosen from the load forecast.'),
    ),
    scheduleReason: Nullable(Type.String({ description: 'Why it was scheduled then, or why it runs now (worse incident, operator, no forecast yet).' })),
    forecast: Type.Optional(
      Nullable(
        Type.Record(Type.String(), Type.Unknown(), {
          description:
            'A forecast-triggered execution: the replica decision (action, currentReplicas, replicas, perReplica, peakUpper, reason) and the forecast points that justified it.',
        }),
      ),
    ),
  },
  { $id: 'Execution' },
);

/** One execution in a list page: the execution and the name of its playbook (its version is `playbookVersion`). */
export const ExecutionListItemSchema = Type.Composite(
  [ExecutionSchema, Type.Object({ playbookName: Type.String({ description: 'The name of the playbook run (also of a playbook deleted since).' }) })],
  { $id: 'ExecutionListItem' },
);

/** One audit log entry. */
export const AuditEntrySchema = Type.Object(
  {
    id: Type.Integer(),
    at: Time(),
    actor: Type.String(),
    action: Type.String(),
    subjectType: Type.String(),
    subjectId: Type.String(),
    details: Type.Record(Type.String(), Type.Unknown()),
  },
  { $id: 'AuditEntry' },
);

const ExecutionStep = Type.Object({
  executionId: Type.String(),
  stepIndex: Type.Integer(),
  name: Type.String(),
  type: Type.String(),
  idempotencyKey: Type.String(),
  status: Type.String(),
  attempt: Type.Integer(),
  repeats: Type.Integer(),
  request: Type.Unknown(),
  response: Type.Unknown(),
  error: Nullable(Type.String()),
  startedAt: Nullable(Time()),
  finishedAt: Nullable(Time()),
});

/** An execution with its steps and audit trail. */
export const ExecutionDetailSchema = Type.Composite(
  [
    ExecutionSchema,
    Type.Object({
      playbookName: Type.String({ description: 'The name of the playbook run (also of a playbook deleted since), as in the list.' }),
      repeats: Type.Integer({ description: 'Attempts sent again after an attempt whose result was never recorded.' }),
      unknownSteps: Type.Integer({ description: 'Steps whose outcome stayed unknown.' }),
      steps: Type.Array(ExecutionStep),
      audit: Type.Array(Type.Ref(AuditEntrySchema)),
      policyDecision: Type.Optional(
        Nullable(Type.Unknown({ description: "The learned policy's choice when several playbooks matched: signature, sampled values and the alternatives." })),
      ),
    }),
  ],
  { $id: 'ExecutionDetail' },
);

/** The playbook language (request bodies of playbook writes). */
export const PlaybookSpecSchema = Type.Unsafe<Static<typeof PlaybookSchema>>({ ...PlaybookSchema, $id: 'PlaybookSpec' });

const Spec = Type.Unknown({ description: 'The validated playbook document (schema PlaybookSpec), defaults filled in.' });

/** A live playbook with its current version. */
export const PlaybookSchemaOut = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    version: Type.Integer(),
    spec: Spec,
    createdAt: Time(),
    updatedAt: Time(),
    autonomy: Type.Optional(
      Type.Unknown({ description: 'Graduated autonomy: effective mode, pinned or not, the record and the rule (GET /api/v1/playbooks/:id only).' }),
    ),
  },
  { $id: 'Playbook' },
);

/** One immutable version of a playbook. */
export const PlaybookVersionSchema = Type.Object(
  { version: Type.Integer(), spec: Spec, createdAt: Time(), createdBy: Type.String() },
  { $id: 'PlaybookVersion' },
);

/** What a bundle apply did, by playbook name. */
export const ApplyResultSchema = Type.Object(
  { created: Type.Array(Type.String()), updated: Type.Array(Type.String()), unchanged: Type.Array(Type.String()), deleted: Type.Array(Type.String()) },
  { $id: 'ApplyResult' },
);

/** What a playbook would do for an anomaly: match, guardrails, plan. */
export const DryRunResultSchema = Type.Object(
  {
    playbook: Type.Object({ id: Type.String(), name: Type.String(), version: Type.Integer() }),
    matched: Type.Boolean(),
    chosen: Type.Boolean({ description: 'Whether this playbook is the one chosen among all live matching playbooks.' }),
    wouldRun: Type.Boolean(),
    status: Type.String(),
    reason: Type.String(),
  },
  { $id: 'DryRunResult', additionalProperties: true },
);

/** An API or ingest token, never its secret. */
export const TokenSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    role: Type.String(),
    createdAt: Time(),
    createdBy: Type.String(),
    revokedAt: Nullable(Time()),
    revokedBy: Nullable(Type.String()),
  },
  { $id: 'Token' },
);

/** A version of a model in the registry (its weights are not listed). */
export const ModelVersionSchema = Type.Object(
  {
    id: Type.String(),
    kind: Type.Union([Type.Literal('neural'), Type.Literal('calibration'), Type.Literal('baselines')]),
    state: Type.Union([Type.Literal('shadow'), Type.Literal('active'), Type.Literal('retired')]),
    parentId: Nullable(Type.String({ description: "The version it was made from or judged against (a calibration: the service's previous version)." })),
    service: Nullable(Type.String({ description: 'The service of a `calibration` version; null for the fleet-wide kinds.' })),
    version: Nullable(
      Type.Integer({ description: 'The calibration version number of its service (anomalies record it as `+cal.<N>`); null for other kinds.' }),
    ),
    reason: Type.String({ description: 'How and why it was made (a calibration: the label that caused it, with its feedback id and incident).' }),
    decision: Type.String({ description: 'Why it was last promoted, retired or rolled back, and by whom (empty until then).' }),
    quality: Type.Record(Type.String(), Type.Unknown(), {
      description:
        "The figures it was judged by: for a trained neural version, `candidate` and `baseline` (threshold, recall, precision, falseAlarmRate on the labelled set) and `training`; for a calibration, `shifts` (per feature side, in doublings of its spread), `counts` and the `label`; for baselines, the parameters' `hash`.",
    }),
    live: Type.Object(
      {
        windows: Type.Integer({ description: 'Live windows (judged normal by the active version) it was scored on in shadow, across replicas.' }),
        alarms: Type.Integer({ description: 'Of those, windows it alarmed on.' }),
        baselineAlarms: Type.Integer({ description: 'Of the same windows, those the active version alarmed on.' }),
        meanError: Type.Number({ description: 'Its mean reconstruction error on them.' }),
      },
      { description: 'The paired shadow figures (zero for a version that never ran in shadow).' },
    ),
    createdAt: Time(),
    promotedAt: Nullable(Time()),
    retiredAt: Nullable(Time()),
  },
  { $id: 'ModelVersion' },
);

/** The pages of every list endpoint. */
export const AnomalyPageSchema = PageOf('AnomalyPage', AnomalySchema);
export const IncidentPageSchema = PageOf('IncidentPage', IncidentSchema);
export const ExecutionPageSchema = PageOf('ExecutionPage', ExecutionListItemSchema);
export const PlaybookPageSchema = PageOf('PlaybookPage', PlaybookSchemaOut);
export const PlaybookVersionPageSchema = PageOf('PlaybookVersionPage', PlaybookVersionSchema);
export const TokenPageSchema = PageOf('TokenPage', TokenSchema);
export const AuditPageSchema = PageOf('AuditPage', AuditEntrySchema);
export const ModelVersionPageSchema = PageOf('ModelVersionPage', ModelVersionSchema);

/** Every named schema, in dependency order: buildApiApp adds them to the app (and so to the OpenAPI document's components). */
// Change rows hold Dates; the serializer writes them as RFC 3339 strings.
const DateTime = (description?: string) => Type.Unsafe<Date | string>({ type: 'string', format: 'date-time', ...(description ? { description } : {}) });

/** A managed change as the API shows it. */
export const ChangeSchema = Type.Object(
  {
    id: Type.String(),
    service: Type.String(),
    spec: Type.Unknown({ description: 'The request as validated (ChangeRequest), defaults filled in.' }),
    state: Type.String({ description: 'scheduled, applying, watching, rolling_back, kept, rolled_back, failed, cancelled.' }),
    reason: Type.String({ description: 'Why it is in its state: the regression found, the error of a failed step, kept after the watch...' }),
    scheduledFor: DateTime('When the change step runs: the start of the quiet window chosen from the load forecast, or now.'),
    scheduleReason: Type.String({ description: 'Why then (the quiet window, no forecast yet, run now by an operator).' }),
    createdBy: Type.String(),
    createdAt: DateTime(),
    updatedAt: DateTime(),
    appliedAt: Nullable(DateTime('When the change step succeeded (the watch started).')),
    watchUntil: Nullable(DateTime()),
    finishedAt: Nullable(DateTime()),
    baseline: Type.Unknown({ description: 'The pre-change signals: per feature (mean, spread, windows), and the service score (anomalous windows, windows).' }),
    verdict: Type.Unknown({ description: 'The latest comparison of the watch against the baseline.' }),
    applyAttempts: Type.Integer(),
    undoAttempts: Type.Integer(),
    leaseOwner: Type.Union([Type.String(), Type.Null()]),
    leaseExpiresAt: Nullable(DateTime()),
  },
  { $id: 'Change' },
);
/** A page of managed changes. */
export const ChangePageSchema = Type.Object(
  {
    items: Type.Array(Type.Ref(ChangeSchema)),
    nextCursor: Type.Union([Type.String({ description: 'Pass as ?cursor= to get the next page; null on the last page.' }), Type.Null()]),
  },
  { $id: 'ChangePage' },
);
export const NAMED_SCHEMAS: TSchema[] = [
  ApiErrorSchema,
  AnomalySchema,
  IncidentSchema,
  ExecutionSchema,
  ExecutionListItemSchema,
  AuditEntrySchema,
  ExecutionDetailSchema,
  ChangeSchema,
  ChangePageSchema,
  PlaybookSpecSchema,
  PlaybookSchemaOut,
  PlaybookVersionSchema,
  ApplyResultSchema,
  DryRunResultSchema,
  TokenSchema,
  ModelVersionSchema,
  AnomalyPageSchema,
  IncidentPageSchema,
  ExecutionPageSchema,
  PlaybookPageSchema,
  PlaybookVersionPageSchema,
  TokenPageSchema,
  AuditPageSchema,
  ModelVersionPageSchema,
];

/**
 * A route's `response` map: `ok` for its success status(es), and the {@link ApiErrorSchema} for every 4xx and 5xx.
 * Example: `responses({ 200: Type.Ref(AnomalySchema) })`.
 */
export function responses<R extends Record<number, TSchema>>(ok: R): R & { '4xx': TSchema; '5xx': TSchema } {
  return { ...ok, '4xx': Type.Ref(ApiErrorSchema), '5xx': Type.Ref(ApiErrorSchema) };
}
