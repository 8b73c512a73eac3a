import type { Config } from './config.ts';

/**
 * The settings each component's factory takes: a slice of {@link Config}
 * named key by key, so a factory cannot read a setting it does not declare
 * and a test can build one without a whole configuration. The types follow
 * the settings table (services/core/config.ts); adding a setting to a
 * component means adding its key here.
 */

/** Settings of every component that consumes the bus: its topics (prefix, partitions) and how long stop() may drain. */
const CONSUMER_KEYS = ['topicPrefix', 'topicPartitions', 'shutdownTimeoutMs'] as const satisfies readonly (keyof Config)[];

/** Settings of every network listener (collector, API): the address it binds and its TLS files. */
const LISTENER_KEYS = ['host', 'tlsCertFile', 'tlsKeyFile', 'tlsClientCaFile'] as const satisfies readonly (keyof Config)[];

/** Settings of every component that runs playbook steps or checks them (executor, API dry runs): where steps may reach, and the secrets they may use. */
const STEP_KEYS = ['httpAllowlist', 'commandAllowlist', 'secrets'] as const satisfies readonly (keyof Config)[];

/** Settings of the bus factory (`createBus`). */
export const BUS_CONFIG_KEYS = [
  'kafkaBrokers',
  'kafkaClientId',
  'connectTimeoutMs',
  'topicPrefix',
  'topicPartitions',
  'maxDecompressedBytes',
] as const satisfies readonly (keyof Config)[];
/** The settings named by {@link BUS_CONFIG_KEYS}. */
export type BusConfig = Pick<Config, (typeof BUS_CONFIG_KEYS)[number]>;

/** Settings of the collector (`createCollector`): listeners, TLS, request limits, ingest tokens and the drain deadline. */
export const COLLECTOR_CONFIG_KEYS = [
  ...LISTENER_KEYS,
  'otlpHttpPort',
  'otlpGrpcPort',
  'maxBodyBytes',
  'maxDecompressedBytes',
  'maxItemsPerRequest',
  'ingestTokens',
  'tokenCacheSeconds',
  'collectorMaxInflightBytes',
  'collectorPublishTimeoutMs',
  'collectorJsonWorkers',
  'shutdownTimeoutMs',
] as const satisfies readonly (keyof Config)[];
/** The settings named by {@link COLLECTOR_CONFIG_KEYS}. */
export type CollectorConfig = Pick<Config, (typeof COLLECTOR_CONFIG_KEYS)[number]>;

/** Settings of the detector (`createDetector`): windows, the model, service tracking, topics and checkpoints. */
export const DETECTOR_CONFIG_KEYS = [
  'windowSeconds',
  'latenessSeconds',
  'detectorBackend',
  'detectorNeural',
  'detectorCheckpointSeconds',
  'detectorModelPollSeconds',
  'detectorWarmupWindows',
  'detectorMaxServices',
  'detectorIdleEvictSeconds',
  'detectorAttributes',
  'calibrationPollSeconds',
  ...CONSUMER_KEYS,
] as const satisfies readonly (keyof Config)[];
/** The settings named by {@link DETECTOR_CONFIG_KEYS}. */
export type DetectorConfig = Pick<Config, (typeof DETECTOR_CONFIG_KEYS)[number]>;

/** Settings of the executor (`createExecutor`) and of the steps it runs (`StepContext.config`). */
export const EXECUTOR_CONFIG_KEYS = [
  'approvalTtlSeconds',
  'databasePool',
  ...STEP_KEYS,
  'hmacSecret',
  'windowSeconds',
  'forecastHistorySeconds',
  'forecastCoverage',
  ...CONSUMER_KEYS,
] as const satisfies readonly (keyof Config)[];
/** The settings named by {@link EXECUTOR_CONFIG_KEYS}. */
export type ExecutorConfig = Pick<Config, (typeof EXECUTOR_CONFIG_KEYS)[number]>;

/** Settings of the REST API (`createApiServer`, `buildApiApp`, its routes). */
export const API_CONFIG_KEYS = [
  ...LISTENER_KEYS,
  'apiPort',
  'apiMaxBodyBytes',
  'apiTokens',
  'ingestTokens',
  'tokenCacheSeconds',
  'approvalTtlSeconds',
  'changeFailureSeconds',
  'serviceWarmupSeconds',
  'forecastHistorySeconds',
  'forecastCoverage',
  'windowSeconds',
  'detectorCheckpointSeconds',
  ...STEP_KEYS,
  'shutdownTimeoutMs',
] as const satisfies readonly (keyof Config)[];
/** The settings named by {@link API_CONFIG_KEYS}. */
export type ApiConfig = Pick<Config, (typeof API_CONFIG_KEYS)[number]>;

/** The slice of `config` a component takes (a new object holding exactly `keys`), e.g. `configFor(config, COLLECTOR_CONFIG_KEYS)`. */
export function configFor<K extends keyof Config>(config: Pick<Config, K>, keys: readonly K[]): Pick<Config, K> {
  const out: Partial<Pick<Config, K>> = {};
  for (const k of keys) out[k] = config[k];
  return out as Pick<Config, K>;
}

/** Settings of the trainer (`createTrainer`): its consumer group and topics, the drain deadline, and model retraining (its cadence, the gate, the tfjs backend, the window length), and the recalibration from labels. */
export const TRAINER_CONFIG_KEYS = [
  ...CONSUMER_KEYS,
  'targetFalseAlarmRate',
  'calibrationHalfLifeHours',
  'calibrationMaxShift',
  'trainerModelIntervalSeconds',
  'trainerShadowMinWindows',
  'detectorBackend',
  'windowSeconds',
] as const satisfies readonly (keyof Config)[];
/** The settings named by {@link TRAINER_CONFIG_KEYS}. */
export type TrainerConfig = Pick<Config, (typeof TRAINER_CONFIG_KEYS)[number]>;
