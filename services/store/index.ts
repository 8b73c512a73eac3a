/**
 * The store: the zeroops schema and a client for Postgres or PGlite.
 * Other services import only this module.
 */

export type { PostgresTarget } from './postgres-store.ts';
export { describeDatabaseUrl, MIGRATION_LOCK_KEY } from './postgres-store.ts';
export type { RetentionKind, RetentionPolicy } from './retention.ts';
export { createRetentionJob, RETENTION_KINDS, retentionPolicyOf, runRetention } from './retention.ts';
export * from './schema/index.ts';
export { isStoreUnavailable, isUniqueViolation, SQLSTATE, sqlStateOf } from './sql-errors.ts';
export type { Db, Store, StoreKind, StoreSettings } from './store.ts';
export { createStore, DEFAULT_MIGRATIONS_DIR, DEFAULT_STATEMENT_TIMEOUT_MS, MEMORY_DATA_DIR, schema } from './store.ts';
