/**
 * The core package's public surface: lifecycle, configuration, errors,
 * deadlines, logging, readiness, retry, self-telemetry, TLS and the shared
 * contracts' component slices. Named exports only.
 */
export { type Component, startAll, stopAll } from './component.ts';
export {
  API_CONFIG_KEYS,
  type ApiConfig,
  BUS_CONFIG_KEYS,
  type BusConfig,
  COLLECTOR_CONFIG_KEYS,
  type CollectorConfig,
  configFor,
  DETECTOR_CONFIG_KEYS,
  type DetectorConfig,
  EXECUTOR_CONFIG_KEYS,
  type ExecutorConfig,
  TRAINER_CONFIG_KEYS,
  type TrainerConfig,
} from './component-config.ts';
export { type Config, loadConfig, SETTINGS, type SettingSpec, type SettingsValues, setting } from './config.ts';
export { type Deadline, type DeadlineOptions, settlesWithin, startDeadline, withDeadline } from './deadline.ts';
export { describeError, isRetryable, MAX_ERROR_PART_CHARS, PermanentError, RetryableError, ZeroopsError } from './errors.ts';
export { createLogger, type LogFormat, type Logger, type LoggerSettings, REDACT_PATHS, silentLogger } from './logger.ts';
export { createProcessReadiness, type ProcessReadiness, type ProcessState, type ReadinessReport } from './readiness.ts';
export { DEFAULT_RETRY, nextRetry, type RetryPolicy, sleep, withRetry } from './retry.ts';
export { STORE_SETTINGS, type StoreConfig } from './store-settings.ts';
export { createTelemetry, startSelfTelemetry, type Telemetry } from './telemetry.ts';
export { loadTls, type TlsMaterial, tlsServerOptions } from './tls.ts';
