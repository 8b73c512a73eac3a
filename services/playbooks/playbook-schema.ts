import { type Static, type TLiteral, type TUnion, Type } from '@sinclair/typebox';
import { ANOMALY_KINDS, SEVERITIES } from '../core/contracts/index.ts';
import { AutonomySchema } from './autonomy-schema.ts';

/** Every step type a playbook may use. */
export const STEP_TYPES = ['http', 'kubernetes', 'command', 'notify', 'wait', 'verify'] as const;
/** A step type. */
export type StepType = (typeof STEP_TYPES)[number];
/** Step types that change the monitored system (the episode is re-checked right before them). */
export const MUTATING_STEP_TYPES: readonly StepType[] = ['http', 'kubernetes', 'command'];
// The match enums are the anomaly contract's (services/core/contracts).
export { ANOMALY_KINDS, SEVERITIES };
/** Playbook modes: record only, run after approval, or run. */
export const PLAYBOOK_MODES = ['observe', 'suggest', 'auto'] as const;

const literals = <T extends readonly string[]>(values: T, description: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    { description },
  ) as unknown as TUnion<TLiteral<T[number]>[]>;

const Templated = (description: string) => Type.String({ description: `${description} Templated: {{anomaly.service}}, {{secret.NAME}}, ...` });

/** Retry policy of a step (see services/core/retry.ts). Only retryable failures (network, timeout, 5xx, 429) are retried. */
export const RetrySchema = Type.Object(
  {
    maxAttempts: Type.Integer({ minimum: 1, maximum: 20, default: 1, description: 'Attempts including the first.' }),
    initialDelayMs: Type.Integer({ minimum: 0, maximum: 600_000, default: 500 }),
    backoff: Type.Number({ minimum: 1, maximum: 10, default: 2 }),
    maxDelayMs: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 30_000 }),
  },
  { additionalProperties: false },
);

/** Parameters of an `http` step: a templated request, HMAC-signed when a key is configured. */
export const HttpParamsSchema = Type.Object(
  {
    method: literals(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const, 'HTTP method.'),
    url: Templated('Target URL (http or https).'),
    headers: Type.Optional(Type.Record(Type.String(), Type.String())),
    body: Type.Optional(Type.Unknown({ description: 'A string, or JSON whose string leaves are templated.' })),
    expectStatus: Type.Optional(Type.Array(Type.Integer({ minimum: 100, maximum: 599 }), { description: 'Statuses that count as success (default 2xx).' })),
  },
  { additionalProperties: false },
);

/** Parameters of a `kubernetes` step (Deployment scale, rollout restart, rollback to the previous revision). */
export const KubernetesParamsSchema = Type.Object(
  {
    action: literals(['scale', 'restart', 'rollback'] as const, 'What to do to the Deployment.'),
    namespace: Templated('Namespace.'),
    deployment: Templated('Deployment name.'),
    replicas: Type.Optional(
      Type.Union([Type.Integer({ minimum: 0, maximum: 10_000 }), Type.String({ pattern: '^\\{\\{\\s*[A-Za-z0-9_.-]+\\s*\\}\\}$' })], {
        description: 'Replicas for `scale`: a number, or one placeholder that gives one, e.g. {{forecast.replicas}}.',
      }),
    ),
    server: Type.Optional(Templated('API server URL (default https://kubernetes.default.svc).')),
    token: Type.Optional(Templated('Bearer token (default: the in-cluster service account token), e.g. {{secret.KUBE_TOKEN}}.')),
    insecureSkipTlsVerify: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** Parameters of a `command` step: an allowlisted executable run without a shell. */
export const CommandParamsSchema = Type.Object(
  {
    executable: Type.String({ minLength: 1, description: 'Must be listed in ZEROOPS_COMMAND_ALLOWLIST.' }),
    args: Type.Optional(Type.Array(Templated('One argument.'))),
  },
  { additionalProperties: false },
);

/** Parameters of a `notify` step: a Slack-, PagerDuty-style or plain JSON webhook. */
export const NotifyParamsSchema = Type.Object(
  {
    kind: literals(['slack', 'pagerduty', 'webhook'] as const, 'Payload format.'),
    url: Templated('Webhook URL.'),
    text: Templated('Message (Slack text, PagerDuty summary).'),
    routingKey: Type.Optional(Templated('PagerDuty routing key, e.g. {{secret.PD_KEY}}.')),
  },
  { additionalProperties: false },
);

/** Parameters of a `wait` step. */
export const WaitParamsSchema = Type.Object(
  {
    seconds: Type.Number({ minimum: 0, maximum: 86_400 }),
    untilEpisodeCloses: Type.Optional(
      Type.Boolean({ description: 'End the wait as soon as the episode is closed (a settle time after an operation that worked). Default false.' }),
    ),
    pollSeconds: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, maximum: 3600, description: 'With untilEpisodeCloses: how often the episode is read. Default 5.' }),
    ),
  },
  { additionalProperties: false },
);

/** Parameters of a `verify` step: the episode must close within the deadline. */
export const VerifyParamsSchema = Type.Object(
  {
    deadlineSeconds: Type.Number({ exclusiveMinimum: 0, maximum: 86_400 }),
    pollSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 3600, description: 'Default 5.' })),
  },
  { additionalProperties: false },
);

const actionFields = {
  type: literals(STEP_TYPES, 'Step type; the parameters go under the property of the same name.'),
  timeoutSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 86_400, default: 30, description: 'Per attempt.' })),
  retry: Type.Optional(RetrySchema),
  idempotent: Type.Optional(
    Type.Boolean({
      description:
        'Whether the step is safe to send again when an attempt started and its result was never recorded (the executor died mid-step). ' +
        'Default: true for http (sent with an Idempotency-Key the target should honour), notify, wait, verify and kubernetes scale; ' +
        'false for command and the other kubernetes actions. An unsafe step with an unknown outcome is marked unknown and the playbook escalates.',
    }),
  ),
  http: Type.Optional(HttpParamsSchema),
  kubernetes: Type.Optional(KubernetesParamsSchema),
  command: Type.Optional(CommandParamsSchema),
  notify: Type.Optional(NotifyParamsSchema),
  wait: Type.Optional(WaitParamsSchema),
  verify: Type.Optional(VerifyParamsSchema),
};

/** An action without an undo (an undo step, or an onFailure step). */
export const ActionSchema = Type.Object(
  { id: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' })), ...actionFields },
  { additionalProperties: false },
);

/**
 * Deferrable work (a restart for a slow leak, a cache rebuild): the execution
 * (or, on a step, the rest of it from that step) is scheduled into the
 * quietest stretch of the service's load forecast within `maxDelaySeconds`,
 * and runs at once if the incident worsens.
 */
export const DeferrableSchema = Type.Object(
  {
    maxDelaySeconds: Type.Integer({ minimum: 60, maximum: 7 * 86_400, description: 'Latest start after the decision, in seconds.' }),
    durationSeconds: Type.Integer({
      minimum: 1,
      maximum: 86_400,
      default: 300,
      description: 'How long the work disturbs the service: the quiet stretch sought.',
    }),
    worsenBy: Type.Number({
      exclusiveMinimum: 0,
      maximum: 1,
      default: 0.05,
      description: 'A later anomaly of the episode whose score exceeds the decision-time score by this much runs the execution now.',
    }),
  },
  { additionalProperties: false },
);

/** A step of a playbook. */
export const StepSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', description: 'Unique within the playbook.' }),
    ...actionFields,
    when: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1000,
        description:
          'Run the step only when this condition holds, e.g. `steps.rollback.status in [200, 202]` or ' +
          '`anomaly.attributes["zeroops.demand"] == "above"` (roots: anomaly, steps.<earlier id>.ran|skipped|ok|status, deploy.ageSeconds|version|previousVersion). ' +
          'A step whose condition is false is recorded as skipped with the values it read.',
      }),
    ),
    undo: Type.Optional(ActionSchema),
    /** Hold this step (and the rest of the execution) for the quietest window of the load forecast, as a deferrable playbook does. */
    deferrable: Type.Optional(DeferrableSchema),
  },
  { additionalProperties: false },
);

/** Which anomalies a playbook applies to. */
export const MatchSchema = Type.Object(
  {
    service: Type.String({ default: '*', description: 'Glob over the service name (picomatch).' }),
    kinds: Type.Optional(Type.Array(literals(ANOMALY_KINDS, 'Anomaly kind.'), { minItems: 1 })),
    minSeverity: Type.Optional(literals(SEVERITIES, 'Lowest severity matched.')),
    minScore: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    attributes: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Attribute name -> glob over its value.' })),
  },
  { additionalProperties: false },
);

/** A freeze window: absolute (`start`/`end`, RFC 3339) or weekly (`days` + `from`/`to`, HH:MM UTC). */
export const FreezeWindowSchema = Type.Object(
  {
    start: Type.Optional(Type.String()),
    end: Type.Optional(Type.String()),
    days: Type.Optional(Type.Array(literals(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const, 'Day (UTC).'))),
    from: Type.Optional(Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' })),
    to: Type.Optional(Type.String({ pattern: '^([01][0-9]|2[0-4]):[0-5][0-9]$' })),
    reason: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** Guardrails, checked before an execution starts (and the episode re-checked before each mutating step). */
export const GuardrailsSchema = Type.Object(
  {
    cooldownSeconds: Type.Number({ minimum: 0, default: 300, description: 'No new execution for a service within this time of its last one.' }),
    maxRunsPerHour: Type.Optional(Type.Integer({ minimum: 1, description: 'Per playbook.' })),
    fleetMaxRunsPerHour: Type.Optional(Type.Integer({ minimum: 1, description: 'Across every playbook and service.' })),
    maxConcurrent: Type.Integer({ minimum: 1, default: 1, description: 'Unfinished executions of this playbook at once.' }),
    freezeWindows: Type.Array(FreezeWindowSchema, { default: [] }),
    skipWhenFlapping: Type.Boolean({ default: true }),
    recheckEpisodeOpen: Type.Boolean({ default: true, description: 'Re-read the episode right before each mutating step; stop if it closed.' }),
    endWaitsWhenClosed: Type.Boolean({
      default: false,
      description:
        'Every wait step of the playbook ends as soon as the episode is closed (as `wait.untilEpisodeCloses`, read every `wait.pollSeconds`, default 1): a settle time after an operation that worked does not hold the execution.',
    }),
  },
  { additionalProperties: false },
);

/** What starts a playbook: an anomaly (the default) or the service's load forecast. */
export const TRIGGER_TYPES = ['anomaly', 'forecast'] as const;

/** The capacity of one replica: a fixed request rate, or a metric of the service (its recent mean). */
export const CapacitySchema = Type.Object(
  {
    perReplica: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, description: 'Requests per second one replica serves within its objective (give this or `metric`).' }),
    ),
    metric: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9_.:/-]{1,200}$',
        description: "A feature of the service's rollups (e.g. a gauge the service reports) whose recent mean is the requests per second one replica serves.",
      }),
    ),
    metricWindowSeconds: Type.Integer({ minimum: 10, maximum: 86_400, default: 300, description: 'The window the metric is averaged over.' }),
  },
  { additionalProperties: false },
);

/** When a forecast-triggered playbook scales in: the forecast must stay low for a while, with a margin (hysteresis). */
export const ScaleInSchema = Type.Object(
  {
    afterSeconds: Type.Integer({
      minimum: 0,
      maximum: 7 * 86_400,
      default: 900,
      description: "Scale in only when the forecast's upper bound stays low over the lead time plus this long.",
    }),
    belowUtilization: Type.Number({
      exclusiveMinimum: 0,
      maximum: 1,
      default: 0.7,
      description: 'Scale in to the fewest replicas that keep the upper bound under this share of their capacity (scale-out happens at 1).',
    }),
  },
  { additionalProperties: false },
);

/**
 * What starts the playbook. `anomaly` (the default): an anomaly matching
 * `match`. `forecast`: the executor evaluates the load forecast of every
 * service matching `match.service` periodically; when the upper bound of
 * the prediction interval over the next `leadSeconds` exceeds the replicas'
 * capacity it runs the playbook ahead of the load with the wanted replica
 * count as `{{forecast.replicas}}`; when the forecast stays low it scales
 * in, never below `minReplicas`.
 */
export const TriggerSchema = Type.Object(
  {
    type: literals(TRIGGER_TYPES, 'anomaly (default) or forecast.'),
    leadSeconds: Type.Optional(Type.Integer({ minimum: 10, maximum: 7 * 86_400, description: 'forecast: how far ahead the forecast is looked at.' })),
    capacity: Type.Optional(CapacitySchema),
    minReplicas: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, description: 'forecast: never scale below this (default 1).' })),
    maxReplicas: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'forecast: never scale above this.' })),
    initialReplicas: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 10_000, description: 'forecast: replicas assumed before the first forecast execution (default minReplicas).' }),
    ),
    scaleIn: Type.Optional(ScaleInSchema),
  },
  { additionalProperties: false },
);

/** A playbook document, as written by users (JSON or YAML). */
export const PlaybookSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,99}$', description: 'Unique name (lower case, digits, . _ -).' }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    enabled: Type.Boolean({ default: true }),
    priority: Type.Integer({ default: 0, description: 'Among matching playbooks the highest priority runs.' }),
    mode: literals(PLAYBOOK_MODES, 'observe: record only; suggest: wait for approval; auto: run.'),
    match: MatchSchema,
    guardrails: Type.Optional(GuardrailsSchema),
    autonomy: Type.Optional(AutonomySchema),
    deferrable: Type.Optional(DeferrableSchema),
    trigger: Type.Optional(TriggerSchema),
    steps: Type.Array(StepSchema, { minItems: 1, maxItems: 50 }),
    onFailure: Type.Optional(Type.Array(ActionSchema, { maxItems: 20, description: 'Escalation run when a step fails.' })),
    timeoutSeconds: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, maximum: 7 * 86_400, description: 'Deadline of a whole execution (default: derived from the steps).' }),
    ),
  },
  { additionalProperties: false, title: 'Playbook' },
);

/** A playbook as written. */
export type PlaybookSpec = Static<typeof PlaybookSchema>;
/** A step of a playbook. */
export type StepSpec = Static<typeof StepSchema>;
/** An undo or onFailure action. */
export type ActionSpec = Static<typeof ActionSchema>;
/** Guardrails with defaults applied. */
export type GuardrailsSpec = Static<typeof GuardrailsSchema>;
/** Deferral settings of a deferrable playbook (defaults applied). */
export type DeferrableSpec = Static<typeof DeferrableSchema>;
/** The trigger of a playbook, as written. */
export type TriggerSpec = Static<typeof TriggerSchema>;
/** A forecast trigger with every default filled in (what the executor evaluates). */
export interface ForecastTrigger {
  type: 'forecast';
  leadSeconds: number;
  capacity: { perReplica?: number; metric?: string; metricWindowSeconds: number };
  minReplicas: number;
  maxReplicas: number;
  initialReplicas?: number;
  scaleIn: { afterSeconds: number; belowUtilization: number };
}
/** The forecast trigger of a validated playbook, if it has one. */
export function forecastTriggerOf(p: Pick<Playbook, 'trigger'>): ForecastTrigger | undefined {
  return p.trigger?.type === 'forecast' ? (p.trigger as ForecastTrigger) : undefined;
}
/** A freeze window. */
export type FreezeWindow = Static<typeof FreezeWindowSchema>;
/** Retry policy of a step. */
export type RetrySpec = Static<typeof RetrySchema>;
/** Parameters of each step type. */
export type HttpParams = Static<typeof HttpParamsSchema>;
export type KubernetesParams = Static<typeof KubernetesParamsSchema>;
export type CommandParams = Static<typeof CommandParamsSchema>;
export type NotifyParams = Static<typeof NotifyParamsSchema>;
export type WaitParams = Static<typeof WaitParamsSchema>;
export type VerifyParams = Static<typeof VerifyParamsSchema>;

/** A validated playbook with every default filled in (what is stored in playbook_versions.spec). */
export type Playbook = PlaybookSpec & { guardrails: GuardrailsSpec };

/** One problem found in a playbook: a JSON pointer into the document and what is wrong. */
export interface PlaybookProblem {
  path: string;
  message: string;
}

/**
 * Whether an action may be sent again when an attempt of it started and its
 * result was never recorded: its own `idempotent` flag, else the default of
 * its type (see the `idempotent` field's description).
 */
export function safeToRepeat(a: ActionSpec): boolean {
  if (a.idempotent !== undefined) return a.idempotent;
  if (a.type === 'command') return false;
  if (a.type === 'kubernetes') return a.kubernetes?.action === 'scale';
  return true;
}
