import { Type } from '@sinclair/typebox';
import type { SettingSpec } from './config.ts';

const Positive = Type.Integer({ minimum: 1 });
const Days = Type.Integer({ minimum: 0, maximum: 36_500 });

/** Settings of the store's behaviour at run time and of data retention (part of {@link Config}). */
export interface StoreConfig {
  /** Postgres statement_timeout, in milliseconds (a silent server is given up 1 s later). */
  databaseStatementTimeoutMs: number;
  /** Days kept of fine rollups (per-window features); 0 keeps them forever. */
  retentionRollupsDays: number;
  /** Days kept of anomaly events; 0 keeps them forever. */
  retentionAnomaliesDays: number;
  /** Days kept of closed incidents, counted from closing; 0 keeps them forever. */
  retentionIncidentsDays: number;
  /** Days kept of finished executions and their steps, counted from finishing; 0 keeps them forever. */
  retentionExecutionsDays: number;
  /** Days kept of audit log entries; 0 keeps them forever. */
  retentionAuditDays: number;
  /** Seconds between retention runs; 0 disables the job. */
  retentionIntervalSeconds: number;
  /** Rows deleted per statement (and per transaction) by the retention job. */
  retentionBatchRows: number;
}

/** The {@link StoreConfig} settings, in the order `zeroops settings` lists them. */
export const STORE_SETTINGS: readonly SettingSpec[] = [
  {
    env: 'ZEROOPS_DATABASE_STATEMENT_TIMEOUT_MS',
    key: 'databaseStatementTimeoutMs',
    schema: Positive,
    default: 10_000,
    description:
      'Longest a Postgres statement may run (statement_timeout); a server that stops answering is given up 1 s later, and a connection is waited for at most this long. The API then answers 503 ZEROOPS_STORE_UNAVAILABLE.',
  },
  {
    env: 'ZEROOPS_RETENTION_ROLLUPS_DAYS',
    key: 'retentionRollupsDays',
    schema: Days,
    default: 14,
    description: 'Days of fine rollups (per-window features of each service) to keep; 0 keeps them forever.',
  },
  {
    env: 'ZEROOPS_RETENTION_ANOMALIES_DAYS',
    key: 'retentionAnomaliesDays',
    schema: Days,
    default: 90,
    description: 'Days of anomaly events to keep; 0 keeps them forever.',
  },
  {
    env: 'ZEROOPS_RETENTION_INCIDENTS_DAYS',
    key: 'retentionIncidentsDays',
    schema: Days,
    default: 365,
    description: 'Days closed incidents are kept after closing (open ones are always kept); 0 keeps them forever.',
  },
  {
    env: 'ZEROOPS_RETENTION_EXECUTIONS_DAYS',
    key: 'retentionExecutionsDays',
    schema: Days,
    default: 180,
    description: 'Days finished executions (with their steps) are kept after finishing; unfinished ones are always kept; 0 keeps them forever.',
  },
  {
    env: 'ZEROOPS_RETENTION_AUDIT_DAYS',
    key: 'retentionAuditDays',
    schema: Days,
    default: 730,
    description: 'Days of audit log entries to keep (the audit log is otherwise append-only); 0 keeps them forever.',
  },
  {
    env: 'ZEROOPS_RETENTION_INTERVAL_SECONDS',
    key: 'retentionIntervalSeconds',
    schema: Type.Integer({ minimum: 0 }),
    default: 3_600,
    description: 'Seconds between runs of the retention job (run by the api process); 0 disables it.',
  },
  {
    env: 'ZEROOPS_RETENTION_BATCH_ROWS',
    key: 'retentionBatchRows',
    schema: Type.Integer({ minimum: 1, maximum: 100_000 }),
    default: 1_000,
    description: 'Rows the retention job deletes per statement; each batch is its own short transaction.',
  },
];
