import { readFileSync } from 'node:fs';
import { type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { StringEnum } from './contracts/enums.ts';
import { PermanentError } from './errors.ts';
import { type SettingSpec, type SettingsValues, setting } from './setting-spec.ts';
import { STORE_SETTINGS } from './store-settings.ts';

export { type SettingSpec, type SettingsValues, setting } from './setting-spec.ts';

const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const Positive = Type.Integer({ minimum: 1 });
const StrList = Type.Array(Type.String());

/** Every zeroops setting. Only this file reads `process.env`. */
export const SETTINGS = [
  setting({
    env: 'ZEROOPS_CONFIG',
    key: 'configFile',
    schema: Type.String(),
    default: '',
    description: 'Optional YAML or JSON file with any of these settings (keys as in the second column); environment variables win.',
  }),
  setting({
    env: 'ZEROOPS_DATA_DIR',
    key: 'dataDir',
    schema: Type.String({ minLength: 1 }),
    default: './.zeroops-data',
    description: 'Data directory of the embedded mode (PGlite database).',
  }),
  setting({
    env: 'ZEROOPS_HOST',
    key: 'host',
    schema: Type.String({ minLength: 1 }),
    default: '127.0.0.1',
    description: 'Interface every listener binds to; use 0.0.0.0 to accept remote clients.',
  }),
  setting({ env: 'ZEROOPS_OTLP_GRPC_PORT', key: 'otlpGrpcPort', schema: Port, default: 4317, description: 'OTLP/gRPC port (0 picks a free port).' }),
  setting({ env: 'ZEROOPS_OTLP_HTTP_PORT', key: 'otlpHttpPort', schema: Port, default: 4318, description: 'OTLP/HTTP port (0 picks a free port).' }),
  setting({ env: 'ZEROOPS_API_PORT', key: 'apiPort', schema: Port, default: 8080, description: 'REST API, web UI and health port (0 picks a free port).' }),
  setting({
    env: 'ZEROOPS_HEALTH_PORT',
    key: 'healthPort',
    schema: Type.Integer({ minimum: -1, maximum: 65535 }),
    default: -1,
    description:
      'Port of /healthz and /readyz for a process that runs no API (`zeroops collector`, `detector` or `executor` alone), e.g. for Kubernetes probes; -1 serves none, 0 picks a free port. A process with the API serves them on ZEROOPS_API_PORT.',
  }),
  setting({
    env: 'KAFKA_BROKERS',
    key: 'kafkaBrokers',
    schema: StrList,
    default: [],
    description: 'Comma-separated Kafka bootstrap servers; when set, the bus is Kafka instead of the in-process bus.',
  }),
  setting({ env: 'ZEROOPS_KAFKA_CLIENT_ID', key: 'kafkaClientId', schema: Type.String({ minLength: 1 }), default: 'zeroops', description: 'Kafka client id.' }),
  setting({
    env: 'ZEROOPS_TOPIC_PREFIX',
    key: 'topicPrefix',
    schema: Type.String(),
    default: '',
    description: 'Prefix added to every topic and consumer group name (to share a cluster).',
  }),
  setting({ env: 'ZEROOPS_TOPIC_PARTITIONS', key: 'topicPartitions', schema: Positive, default: 8, description: 'Partitions of the topics zeroops creates.' }),
  setting({
    env: 'DATABASE_URL',
    key: 'databaseUrl',
    schema: Type.String(),
    default: '',
    description: 'PostgreSQL connection string; when set, the store is Postgres instead of PGlite.',
  }),
  setting({ env: 'ZEROOPS_DATABASE_POOL', key: 'databasePool', schema: Positive, default: 10, description: 'Maximum Postgres connections per process.' }),
  ...STORE_SETTINGS,
  setting({
    env: 'ZEROOPS_CONNECT_TIMEOUT_MS',
    key: 'connectTimeoutMs',
    schema: Positive,
    default: 20_000,
    description: 'How long start-up waits for Kafka and Postgres before failing.',
  }),
  setting({
    env: 'ZEROOPS_LOG_LEVEL',
    key: 'logLevel',
    schema: StringEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    default: 'info',
    description: 'Log level.',
  }),
  setting({
    env: 'ZEROOPS_LOG_FORMAT',
    key: 'logFormat',
    schema: StringEnum(['auto', 'pretty', 'json']),
    default: 'auto',
    description: 'Log lines: pretty (readable), json (one object per line), or auto: pretty when stdout is a terminal, else json.',
  }),
  setting({
    env: 'ZEROOPS_LOG_REPEAT_INTERVAL_MS',
    key: 'logRepeatIntervalMs',
    schema: Type.Integer({ minimum: 0 }),
    default: 30_000,
    description:
      'A warning or error that repeats (same component and message, e.g. while Kafka or Postgres is down) is written once per this interval, with the count of lines left out (`suppressed`); 0 writes every line.',
  }),
  setting({
    env: 'ZEROOPS_TELEMETRY',
    key: 'telemetry',
    schema: Type.Union([Type.Literal('off'), Type.Literal('otlp'), Type.Literal('console')]),
    default: 'off',
    description: "zeroops' own traces and metrics: off, otlp (to ZEROOPS_TELEMETRY_ENDPOINT) or console.",
  }),
  setting({
    env: 'ZEROOPS_TELEMETRY_ENDPOINT',
    key: 'telemetryEndpoint',
    schema: Type.String(),
    default: '',
    description: "OTLP/HTTP base URL for self-telemetry (default: this process's own OTLP/HTTP receiver).",
  }),
  setting({
    env: 'ZEROOPS_TELEMETRY_INTERVAL_MS',
    key: 'telemetryIntervalMs',
    schema: Positive,
    default: 10_000,
    description: 'How often self-telemetry metrics are exported, in milliseconds.',
  }),
  setting({
    env: 'ZEROOPS_MAX_BODY_BYTES',
    key: 'maxBodyBytes',
    schema: Positive,
    default: 8 * 1024 * 1024,
    description: 'Largest OTLP request body accepted, as sent (compressed), in bytes.',
  }),
  setting({
    env: 'ZEROOPS_MAX_DECOMPRESSED_BYTES',
    key: 'maxDecompressedBytes',
    schema: Positive,
    default: 64 * 1024 * 1024,
    description: 'Largest OTLP request body after gzip decompression, in bytes.',
  }),
  setting({
    env: 'ZEROOPS_MAX_ITEMS_PER_REQUEST',
    key: 'maxItemsPerRequest',
    schema: Positive,
    default: 100_000,
    description: 'Most spans, data points or log records accepted in one OTLP request.',
  }),
  setting({
    env: 'ZEROOPS_COLLECTOR_MAX_INFLIGHT_BYTES',
    key: 'collectorMaxInflightBytes',
    schema: Positive,
    default: 256 * 1024 * 1024,
    description: 'Request bytes (received, decompressed and awaiting the bus) the collector holds at once; beyond it, ingest answers 429 / RESOURCE_EXHAUSTED.',
  }),
  setting({
    env: 'ZEROOPS_COLLECTOR_PUBLISH_TIMEOUT_MS',
    key: 'collectorPublishTimeoutMs',
    schema: Positive,
    default: 10_000,
    description: 'How long an OTLP request waits for the bus to take its records before answering 503 / UNAVAILABLE.',
  }),
  setting({
    env: 'ZEROOPS_COLLECTOR_JSON_WORKERS',
    key: 'collectorJsonWorkers',
    schema: Type.Integer({ minimum: 0 }),
    default: 2,
    description:
      "Decode worker threads: they turn OTLP/JSON bodies into protobuf and validate and split JSON and large (>= 64 KiB) protobuf bodies off the event loop. Capped at run time to the available cores; protobuf bodies use all but one core's worth (that core stays with the event loop). 0 decodes inline.",
  }),
  setting({
    env: 'ZEROOPS_INGEST_TOKENS',
    key: 'ingestTokens',
    schema: StrList,
    default: [],
    description:
      'Comma-separated bearer tokens accepted on OTLP ingest, besides ingest tokens created through /api/v1/tokens; ingest is open while there are none of either.',
  }),
  setting({
    env: 'ZEROOPS_TLS_CERT_FILE',
    key: 'tlsCertFile',
    schema: Type.String(),
    default: '',
    description:
      'PEM certificate (chain) file; with ZEROOPS_TLS_KEY_FILE, OTLP/gRPC, OTLP/HTTP and the API accept only TLS. Empty: plain listeners. Read at start.',
  }),
  setting({
    env: 'ZEROOPS_TLS_KEY_FILE',
    key: 'tlsKeyFile',
    schema: Type.String(),
    default: '',
    description: 'PEM private key file of ZEROOPS_TLS_CERT_FILE (unencrypted).',
  }),
  setting({
    env: 'ZEROOPS_TLS_CLIENT_CA_FILE',
    key: 'tlsClientCaFile',
    schema: Type.String(),
    default: '',
    description:
      'PEM file of the CA certificates that sign ingest clients; when set (needs TLS), OTLP/gRPC and OTLP/HTTP refuse clients without a certificate they signed. The API does not ask for client certificates.',
  }),
  setting({
    env: 'ZEROOPS_API_TOKENS',
    key: 'apiTokens',
    schema: StrList,
    default: [],
    description:
      'Comma-separated `role:token` pairs (role viewer, operator or admin): the bootstrap tokens. The API is open only while there are none and no API token was ever created through /api/v1/tokens.',
  }),
  setting({
    env: 'ZEROOPS_TOKEN_CACHE_SECONDS',
    key: 'tokenCacheSeconds',
    schema: Type.Number({ exclusiveMinimum: 0 }),
    default: 5,
    description:
      'How often each process re-reads the tokens created through /api/v1/tokens; a new or revoked token takes effect in other processes within this time (at once in the process that changed it).',
  }),
  setting({
    env: 'ZEROOPS_APPROVAL_TTL_SECONDS',
    key: 'approvalTtlSeconds',
    schema: Type.Number({ exclusiveMinimum: 0 }),
    default: 3600,
    description:
      'How long an execution waits for approval (suggest mode); after that it ends as skipped (guardrail approval_expired) and a late approve answers 409.',
  }),
  setting({
    env: 'ZEROOPS_CHANGE_FAILURE_SECONDS',
    key: 'changeFailureSeconds',
    schema: Type.Number({ exclusiveMinimum: 0 }),
    default: 3600,
    description:
      "A deployment (a change of a service's `service.version`) followed by an incident of that service within this time counts as a failed change (KPI `changeFailureRate`); an incident report lists the deployments of its service and callees this long before it opened, in seconds.",
  }),
  setting({
    env: 'ZEROOPS_SERVICE_WARMUP_SECONDS',
    key: 'serviceWarmupSeconds',
    schema: Type.Number({ minimum: 0 }),
    default: 300,
    description:
      'A service first seen less than this long ago is `warming_up` in GET /api/v1/services (its baseline is still being learned: the detector warms up over 30 windows, 300 s at the default window) unless it has an open incident, in seconds.',
  }),
  setting({
    env: 'ZEROOPS_FORECAST_HISTORY_SECONDS',
    key: 'forecastHistorySeconds',
    schema: Type.Integer({ minimum: 600, maximum: 90 * 86_400 }),
    default: 14 * 86_400,
    description:
      "How much of a service's request-rate history a load forecast learns from (GET /api/v1/services/:name/forecast, quiet windows of deferrable playbooks), in seconds; a weekly cycle is found only with two weeks of it.",
  }),
  setting({
    env: 'ZEROOPS_FORECAST_COVERAGE',
    key: 'forecastCoverage',
    schema: Type.Number({ minimum: 0.5, maximum: 0.99 }),
    default: 0.9,
    description: 'Nominal coverage of the prediction interval of a load forecast (0.9: nine actual values in ten fall inside it).',
  }),
  setting({
    env: 'ZEROOPS_API_MAX_BODY_BYTES',
    key: 'apiMaxBodyBytes',
    schema: Positive,
    default: 1024 * 1024,
    description: 'Largest REST API request body, in bytes.',
  }),
  setting({
    env: 'ZEROOPS_WINDOW_SECONDS',
    key: 'windowSeconds',
    schema: Type.Number({ exclusiveMinimum: 0 }),
    default: 10,
    description: 'Detector window length, in seconds.',
  }),
  setting({
    env: 'ZEROOPS_LATENESS_SECONDS',
    key: 'latenessSeconds',
    schema: Type.Number({ minimum: 0 }),
    default: 5,
    description: 'How late (event time) telemetry may arrive before its window closes, in seconds.',
  }),
  setting({
    env: 'ZEROOPS_DETECTOR_BACKEND',
    key: 'detectorBackend',
    schema: StringEnum(['auto', 'node', 'wasm', 'cpu']),
    default: 'auto',
    description: "TensorFlow.js backend of the detector's neural model: auto tries tfjs-node (if installed), then wasm, then cpu.",
  }),
  setting({
    env: 'ZEROOPS_DETECTOR_NEURAL',
    key: 'detectorNeural',
    schema: Type.Boolean(),
    default: true,
    description: 'Whether the detector scores windows with the shared neural model as well as the seasonal baselines.',
  }),
  setting({
    env: 'ZEROOPS_DETECTOR_CHECKPOINT_SECONDS',
    key: 'detectorCheckpointSeconds',
    schema: Type.Number({ exclusiveMinimum: 0 }),
    default: 30,
    description: 'How often the detector checkpoints its model state and open windows to the store, in seconds.',
  }),
  setting({
    env: 'ZEROOPS_DETECTOR_WARMUP_WINDOWS',
    key: 'detectorWarmupWindows',
    schema: Type.Integer({ minimum: 5, maximum: 10_000 }),
    default: 30,
    description:
      "Windows a service's baselines learn before they may page: until then its anomalies are `info` with the model state `warming_up`. Fewer windows make a new service watched sooner and its first judgements noisier (its spreads are estimated from fewer windows); keep ZEROOPS_SERVICE_WARMUP_SECONDS at this times the window.",
  }),
  setting({
    env: 'ZEROOPS_DETECTOR_MODEL_POLL_SECONDS',
    key: 'detectorModelPollSeconds',
    schema: Type.Number({ exclusiveMinimum: 0 }),
    default: 10,
    description:
      'How often every detector replica asks the model registry for a newly active or shadow neural version (and adds its shadow counts), in seconds.',
  }),
  setting({
    env: 'ZEROOPS_TRAINER_MODEL_INTERVAL_SECONDS',
    key: 'trainerModelIntervalSeconds',
    schema: Type.Number({ minimum: 0 }),
    default: 900,
    description:
      'How often the trainer judges the shadow neural version (promote or retire) or, without one, retrains a candidate on recent windows and registers it as shadow, in seconds; 0 turns retraining off.',
  }),
  setting({
    env: 'ZEROOPS_TRAINER_SHADOW_MIN_WINDOWS',
    key: 'trainerShadowMinWindows',
    schema: Positive,
    default: 500,
    description: 'Live windows a shadow neural version is scored on beside the active one before the trainer decides on it.',
  }),
  setting({
    env: 'ZEROOPS_DETECTOR_MAX_SERVICES',
    key: 'detectorMaxServices',
    schema: Positive,
    default: 10_000,
    description:
      'Most services one detector instance tracks (about 15-30 KB of memory each); records of further services are dropped and counted (GET /api/v1/services shows how many) until idle ones are evicted.',
  }),
  setting({
    env: 'ZEROOPS_DETECTOR_IDLE_EVICT_SECONDS',
    key: 'detectorIdleEvictSeconds',
    schema: Type.Number({ exclusiveMinimum: 0 }),
    default: 3600,
    description:
      'A service without telemetry for this long (and no open window or episode) loses its detector state and leaves the checkpoint; if it comes back it relearns, in seconds.',
  }),
  setting({
    env: 'ZEROOPS_DETECTOR_ATTRIBUTES',
    key: 'detectorAttributes',
    schema: Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 16 }),
    default: [
      'deployment.environment',
      'deployment.environment.name',
      'service.namespace',
      'service.version',
      'k8s.namespace.name',
      'k8s.cluster.name',
      'cloud.region',
    ],
    description:
      'Resource attributes (at most 16 keys) every anomaly carries from its service, for playbooks to match on (`match.attributes`); values are cut to 256 characters, control characters replaced.',
  }),
  setting({
    env: 'ZEROOPS_TARGET_FALSE_ALARM_RATE',
    key: 'targetFalseAlarmRate',
    schema: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }),
    default: 0.1,
    description:
      "Share of labelled alarms allowed to be false positives: the trainer moves each service's alarm thresholds (per feature) until false_positive labels make up this share of its labelled alarms (each false positive raises them by 1 - rate, each true positive lowers them by rate, each missed label lowers every feature by a whole step).",
  }),
  setting({
    env: 'ZEROOPS_CALIBRATION_HALF_LIFE_HOURS',
    key: 'calibrationHalfLifeHours',
    schema: Type.Number({ exclusiveMinimum: 0 }),
    default: 168,
    description: 'Half-life of a threshold change learned from labels, in hours: without new labels a recalibration fades back to the plain detector.',
  }),
  setting({
    env: 'ZEROOPS_CALIBRATION_MAX_SHIFT',
    key: 'calibrationMaxShift',
    schema: Type.Number({ minimum: 0, maximum: 6 }),
    default: 3,
    description:
      "Largest threshold change labels can make, in doublings of a feature's spread (3: a feature's alarm needs at most 8 times the deviation it needed, or an eighth of it).",
  }),
  setting({
    env: 'ZEROOPS_CALIBRATION_POLL_SECONDS',
    key: 'calibrationPollSeconds',
    schema: Type.Number({ exclusiveMinimum: 0 }),
    default: 10,
    description: 'How often every detector replica reads new recalibrations (from labels) from the store, in seconds; they apply without a restart.',
  }),
  setting({
    env: 'ZEROOPS_HTTP_ALLOWLIST',
    key: 'httpAllowlist',
    schema: StrList,
    default: [],
    description:
      'Comma-separated targets that http/notify steps may call although private, loopback, link-local or otherwise restricted: IP addresses or CIDRs (IPv4 or IPv6, e.g. 10.0.0.0/8, fd00::/8), host names (ops.internal) or name suffixes (*.svc.cluster.local). A name allows whatever it resolves to except cloud-metadata addresses. Logged at start-up.',
  }),
  setting({
    env: 'ZEROOPS_COMMAND_ALLOWLIST',
    key: 'commandAllowlist',
    schema: StrList,
    default: [],
    description: 'Executables that `command` steps may run; empty disables command steps.',
  }),
  setting({
    env: 'ZEROOPS_HMAC_SECRET',
    key: 'hmacSecret',
    schema: Type.String(),
    default: '',
    description: 'Key that signs outgoing http steps (X-Zeroops-Signature); empty disables signing.',
  }),
  setting({
    env: 'ZEROOPS_SHUTDOWN_TIMEOUT_MS',
    key: 'shutdownTimeoutMs',
    schema: Positive,
    default: 15_000,
    description: 'Deadline for draining on SIGTERM/SIGINT.',
  }),
] as const;

/** Validated configuration of one zeroops process: one field per entry of {@link SETTINGS}, plus the secrets. */
export type Config = SettingsValues<typeof SETTINGS> & {
  /** Secrets referenced by playbooks as `{{secret.NAME}}`, from `ZEROOPS_SECRET_<NAME>` variables. */
  secrets: Record<string, string>;
};

function fromEnvString(spec: SettingSpec, raw: string): unknown {
  const kind = spec.schema.type;
  if (kind === 'array')
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  if (kind === 'integer' || kind === 'number') {
    const n = Number(raw.trim());
    return raw.trim() === '' || Number.isNaN(n) ? raw : n;
  }
  if (kind === 'boolean') return raw === 'true' || raw === '1' ? true : raw === 'false' || raw === '0' ? false : raw;
  return raw;
}

function expectation(schema: TSchema): string {
  if (schema.anyOf) return `one of ${(schema.anyOf as TSchema[]).map((s) => JSON.stringify(s.const)).join(', ')}`;
  if (schema.type === 'integer') {
    const range = schema.maximum !== undefined ? ` from ${schema.minimum} to ${schema.maximum}` : schema.minimum !== undefined ? ` >= ${schema.minimum}` : '';
    return `an integer${range}`;
  }
  if (schema.type === 'number')
    return 'a number' + (schema.exclusiveMinimum !== undefined ? ` > ${schema.exclusiveMinimum}` : schema.minimum !== undefined ? ` >= ${schema.minimum}` : '');
  if (schema.type === 'array') return schema.maxItems !== undefined ? `a comma-separated list of at most ${schema.maxItems} items` : 'a comma-separated list';
  if (schema.type === 'string') return schema.minLength ? 'a non-empty string' : 'a string';
  return 'a valid value';
}

/** TLS settings that only make sense together. */
function tlsProblems(c: Config): string[] {
  const out: string[] = [];
  if ((c.tlsCertFile === '') !== (c.tlsKeyFile === '')) out.push('ZEROOPS_TLS_CERT_FILE and ZEROOPS_TLS_KEY_FILE must be set together (or neither)');
  if (c.tlsClientCaFile !== '' && c.tlsCertFile === '')
    out.push('ZEROOPS_TLS_CLIENT_CA_FILE needs TLS: set ZEROOPS_TLS_CERT_FILE and ZEROOPS_TLS_KEY_FILE too');
  return out;
}

/**
 * Builds the configuration from `env` (default `process.env`) and the
 * optional file it names. Throws a {@link PermanentError} naming every
 * invalid setting and what it expects.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<Config> = {}): Config {
  const problems: string[] = [];
  let file: Record<string, unknown> = {};
  const filePath = overrides.configFile ?? env.ZEROOPS_CONFIG;
  if (filePath) {
    try {
      const parsed: unknown = parseYaml(readFileSync(filePath, 'utf8'));
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) file = parsed as Record<string, unknown>;
      else problems.push(`ZEROOPS_CONFIG: ${filePath} must hold a mapping of settings`);
    } catch (err) {
      problems.push(`ZEROOPS_CONFIG: cannot read ${filePath}: ${(err as Error).message}`);
    }
  }
  const known = new Set(SETTINGS.map((s) => s.key as string));
  for (const k of Object.keys(file)) if (!known.has(k)) problems.push(`${filePath}: unknown setting "${k}"`);

  const out: Record<string, unknown> = {};
  for (const spec of SETTINGS) {
    const envRaw = env[spec.env];
    let value: unknown = spec.default;
    let source = `${spec.env} (default)`;
    if (spec.key in overrides) {
      value = overrides[spec.key];
      source = spec.key;
    } else if (envRaw !== undefined && envRaw !== '') {
      value = fromEnvString(spec, envRaw);
      source = spec.env;
    } else if (spec.key in file) {
      value = file[spec.key];
      source = `${spec.key} in ${filePath}`;
    }
    if (!Value.Check(spec.schema, value)) {
      problems.push(`${source}: got ${JSON.stringify(value)}, expected ${expectation(spec.schema)}`);
    }
    out[spec.key] = value;
  }
  const secrets: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith('ZEROOPS_SECRET_') && v !== undefined) secrets[k.slice('ZEROOPS_SECRET_'.length)] = v;
  }
  out.secrets = { ...secrets, ...(overrides.secrets ?? {}) };
  for (const t of out.apiTokens as string[]) {
    const role = t.split(':')[0];
    if (!t.includes(':') || !['viewer', 'operator', 'admin'].includes(role ?? '')) {
      problems.push(`ZEROOPS_API_TOKENS: "${role}:..." must be role:token with role viewer, operator or admin`);
    }
  }
  problems.push(...tlsProblems(out as unknown as Config));
  if (problems.length > 0) {
    throw new PermanentError('ZEROOPS_CONFIG_INVALID', `invalid configuration:\n  - ${problems.join('\n  - ')}`, { details: problems });
  }
  return out as unknown as Config;
}
