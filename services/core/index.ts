export * from './component.ts';
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
} from './component-config.ts';
export * from './config.ts';
export * from './deadline.ts';
export * from './errors.ts';
export * from './logger.ts';
export * from './readiness.ts';
export * from './retry.ts';
export * from './store-settings.ts';
export * from './telemetry.ts';
export * from './tls.ts';
