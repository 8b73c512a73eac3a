import { Type } from '@sinclair/typebox';

const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends import('@sinclair/typebox').TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** A human label of an incident (or a missed anomaly). */
export const LabelSchema = Type.Object(
  {
    id: Type.String(),
    label: Type.Union([Type.Literal('true_positive'), Type.Literal('false_positive'), Type.Literal('missed')]),
    actor: Type.String({ description: 'Who labelled: `token:<name>`, or `anonymous` when the API runs without tokens.' }),
    note: Type.String(),
    createdAt: DateTime,
  },
  { $id: 'Label' },
);

const incidentFields = {
  id: Type.String({ description: 'The episode id.' }),
  service: Type.String(),
  kind: Type.String({ description: '`latency` | `errors` | `traffic` | `saturation` | `logs`.' }),
  severity: Type.String({ description: '`info` | `warning` | `critical`: the worst window of the episode so far.' }),
  state: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
  openedAt: DateTime,
  closedAt: Nullable(DateTime),
  maxScore: Type.Number({ description: 'Highest combined anomaly score of the episode, in [0, 1].' }),
  lastScore: Type.Number({ description: 'Score of the latest window of the episode, in [0, 1].' }),
  flapping: Type.Boolean(),
  neededHuman: Type.Boolean({ description: 'Whether a person had to act (approve, reject) or an execution escalated.' }),
  resolvedBy: Nullable(Type.Union([Type.Literal('auto'), Type.Literal('human'), Type.Literal('self')])),
  updatedAt: DateTime,
};

/** An incident with its labels (`GET /api/v1/incidents/:id`). */
export const IncidentWithLabelsSchema = Type.Object({ ...incidentFields, labels: Type.Array(LabelSchema) }, { $id: 'IncidentWithLabels' });

/** An incident without its labels (inside a report). */
export const IncidentSchema = Type.Object(incidentFields);

/** Body of `POST /api/v1/incidents/:id/feedback`. */
export const IncidentFeedbackBody = Type.Object(
  {
    label: Type.Union([Type.Literal('true_positive'), Type.Literal('false_positive')], {
      description: 'true_positive: a real problem; false_positive: nothing was wrong (the detector learns this pattern as normal).',
    }),
    note: Type.Optional(Type.String({ maxLength: 2000, pattern: '^[^\\u0000]*$' })),
  },
  { additionalProperties: false },
);

/** Body of `POST /api/v1/feedback` (an anomaly the detector missed). */
export const MissedFeedbackBody = Type.Object(
  {
    service: Type.String({ minLength: 1, maxLength: 256, pattern: '^[^\\u0000]*$' }),
    from: Type.String({ format: 'date-time', description: 'Start of the missed anomaly (RFC 3339).' }),
    to: Type.String({ format: 'date-time', description: 'End of the missed anomaly (RFC 3339), later than `from`.' }),
    note: Type.Optional(Type.String({ maxLength: 2000, pattern: '^[^\\u0000]*$' })),
  },
  { additionalProperties: false },
);

/** Answer of `GET /api/v1/whoami`. */
export const WhoamiSchema = Type.Object({
  role: Nullable(Type.String({ description: 'Role of the token sent (`viewer` | `operator` | `admin` | `ingest`); null without a valid token.' })),
  tokensConfigured: Type.Boolean({ description: 'Whether the API needs a token; false: every route is open (role is then null).' }),
});

/** The API's error body, for response schemas. */
export const ErrorSchema = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) }),
});

const Num = Type.Number();
const NullableNum = Nullable(Type.Number());

/** One point of a series: observed value and the expected value and band (null where nothing was stored). */
export const SeriesPointSchema = Type.Object({ t: DateTime, value: Num, expected: NullableNum, lower: NullableNum, upper: NullableNum });

/** A feature's series with its unit. */
export const FeatureSeriesSchema = Type.Object(
  { feature: Type.String(), unit: Type.String({ description: 'Unit of value, expected, lower and upper.' }), points: Type.Array(SeriesPointSchema) },
  { $id: 'FeatureSeries' },
);

/** `GET /api/v1/incidents/:id/report`. */
export const ReportSchema = Type.Object(
  {
    incident: IncidentSchema,
    timeline: Type.Array(Type.Object({ at: DateTime, score: Num, severity: Type.String(), state: Type.String(), anomalyId: Type.String() }), {
      description: "The episode's anomaly events, oldest first (score in [0, 1]).",
    }),
    features: Type.Array(
      Type.Object({
        feature: Type.String(),
        unit: Type.String({ description: 'Unit of observed, expected, lower and upper.' }),
        observed: Num,
        expected: Num,
        lower: NullableNum,
        upper: NullableNum,
        deviation: Type.Number({ description: 'Signed, in robust standard deviations of the baseline from the expected value.' }),
      }),
      { description: 'Deviating features at the peak of the episode, strongest first.' },
    ),
    series: Type.Array(FeatureSeriesSchema, { description: 'Those features from 30 min before opening to 10 min after closing (or now).' }),
    rootCauses: Type.Array(
      Type.Object({ service: Type.String(), rank: Type.Integer(), score: Type.Number({ description: 'In [0, 1].' }), reason: Type.String() }),
    ),
    neighbourhood: Type.Object({
      nodes: Type.Array(
        Type.Object({
          service: Type.String(),
          state: Type.Union([Type.Literal('healthy'), Type.Literal('warming_up'), Type.Literal('anomalous')]),
          root: Type.Boolean(),
        }),
      ),
      edges: Type.Array(
        Type.Object({
          from: Type.String(),
          to: Type.String(),
          calls: Type.Integer({ description: 'Client calls seen in the period.' }),
          errors: Type.Union([Type.Integer(), Type.Null()], {
            description: 'Failed calls (count) over the same period (client or server span with error status).',
          }),
        }),
      ),
    }),
    executions: Type.Array(
      Type.Object({
        id: Type.String(),
        playbookId: Type.String(),
        playbookName: Type.String(),
        playbookVersion: Type.Integer(),
        mode: Type.String(),
        status: Type.String(),
        outcome: Nullable(Type.String()),
        createdAt: DateTime,
        finishedAt: Nullable(DateTime),
        steps: Type.Array(
          Type.Object({
            name: Type.String(),
            type: Type.String(),
            status: Type.String(),
            startedAt: Nullable(DateTime),
            finishedAt: Nullable(DateTime),
            error: Nullable(Type.String()),
          }),
        ),
      }),
    ),
    deployments: Type.Array(Type.Object({ service: Type.String(), oldVersion: Nullable(Type.String()), newVersion: Type.String(), firstSeen: DateTime })),
    modelVersion: Type.String(),
    labels: Type.Array(LabelSchema),
    units: Type.Record(Type.String(), Type.String(), {
      description: 'The unit of every number of the report, by its path (`[]` for each item of a list); times are RFC 3339, durations ms.',
    }),
  },
  { $id: 'IncidentReport' },
);

/** `GET /api/v1/services/:name/series`. */
export const SeriesAnswerSchema = Type.Object({ service: Type.String(), from: DateTime, to: DateTime, series: Type.Array(FeatureSeriesSchema) });

const Rate = (d: string) => Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], { description: `${d} 0..1; null when nothing to divide by.` });
const Ms = (d: string) => Type.Union([Type.Number(), Type.Null()], { description: `${d} In ms; null without data.` });

/** The KPI figures of one range (definitions in the README, section KPIs). */
export const KpisFields = {
  incidents: Type.Integer({ description: 'Incidents opened in the range.' }),
  neededHumanShare: Rate('Share of those incidents where a person had to act or an execution escalated.'),
  autoRemediationRate: Rate('Share of the closed ones resolved by an automatic execution.'),
  verifiedFixRate: Rate('Share of judged executions (resolved, not_resolved, made_worse, undone) whose fix was verified (resolved).'),
  harmRate: Rate('Share of judged executions that made things worse (made_worse).'),
  falsePositiveRate: Rate('Share of labelled incidents whose latest label is false_positive.'),
  ttdP50Ms: Ms('Time to detect, median: start of the first anomalous window to its report.'),
  ttdP90Ms: Ms('Time to detect, 90th percentile.'),
  ttrP50Ms: Ms('Time to recover, median: opening to closing of closed incidents.'),
  ttrP90Ms: Ms('Time to recover, 90th percentile.'),
  ttrAutoP50Ms: Ms('Time to recover of incidents resolved automatically, median.'),
  ttrHumanP50Ms: Ms('Time to recover of incidents resolved with a person, median.'),
  mtbfMs: Ms('Mean time between failures: time without an open incident divided by incidents.'),
  actionsByPlaybook: Type.Record(Type.String(), Type.Integer(), { description: 'Executions that acted (suggest or auto, ran), by playbook name.' }),
  deployments: Type.Integer({ description: 'Deployments (service.version changes) first seen in the range.' }),
  deploymentsPerDay: Type.Number({ description: 'Deployments per day of the range.' }),
  changeFailureRate: Rate('Share of those deployments followed by an incident of their service within ZEROOPS_CHANGE_FAILURE_SECONDS.'),
};

/** `GET /api/v1/kpis`. */
export const KpiAnswerSchema = Type.Object(
  {
    from: DateTime,
    to: DateTime,
    service: Nullable(Type.String()),
    totals: Type.Object(KpisFields),
    buckets: Type.Array(Type.Object({ start: DateTime, ...KpisFields })),
  },
  { $id: 'Kpis' },
);
