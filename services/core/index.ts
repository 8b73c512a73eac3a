export * from './component.ts';
export * from './config.ts';
export * from './errors.ts';
export * from './logger.ts';
export * from './readiness.ts';
export * from './retry.ts';
export * from './telemetry.ts';
