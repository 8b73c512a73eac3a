/**
 * The zeroops database schema (drizzle). One file per concern; this module is
 * what drizzle-kit reads (see drizzle.config.ts) and what `Db` is typed with.
 */

export * from './anomalies.ts';
export * from './audit.ts';
export * from './deployments.ts';
export * from './detector.ts';
export * from './executions.ts';
export * from './feedback.ts';
export * from './playbooks.ts';
export * from './services.ts';
export * from './tokens.ts';
