import { Type } from '@sinclair/typebox';
import { type SettingsValues, setting } from './setting-spec.ts';

const Positive = Type.Integer({ minimum: 1 });
const Days = Type.Integer({ minimum: 0, maximum: 36_500 });

/** The {@link StoreConfig} settings, in the order `zeroops settings` lists them. */
export const STORE_SETTINGS = [
  setting({
    env: 'ZEROOPS_DATABASE_STATEMENT_TIMEOUT_MS',
    key: 'databaseStatementTimeoutMs',
    schema: Positive,
    default: 10_000,
    description:
      'Longest a Postgres statement may run (statement_timeout); a server that stops answering is given up 1 s later, and a connection is waited for at most this long. The API then answers 503 ZEROOPS_STORE_UNAVAILABLE.',
  }),
  setting({
    env: 'ZEROOPS_RETENTION_ROLLUPS_DAYS',
    key: 'retentionRollupsDays',
    schema: Days,
    default: 14,
    description: 'Days of fine rollups (per-window features of each service) to keep before they are folded into coarse rollups; 0 keeps them forever.',
  }),
  setting({
    env: 'ZEROOPS_ROLLUP_COARSE_SECONDS',
    key: 'rollupCoarseSeconds',
    schema: Type.Integer({ minimum: 0, maximum: 604_800 }),
    default: 3_600,
    description:
      'Length in seconds of the coarse rollups that fine rollups past ZEROOPS_RETENTION_ROLLUPS_DAYS are folded into (means of each feature and expected band, calls summed, highest score); the series endpoint serves both. 0 deletes fine rollups past their retention instead.',
  }),
  setting({
    env: 'ZEROOPS_RETENTION_COARSE_ROLLUPS_DAYS',
    key: 'retentionCoarseRollupsDays',
    schema: Days,
    default: 365,
    description: 'Days of coarse rollups (see ZEROOPS_ROLLUP_COARSE_SECONDS) to keep; 0 keeps them forever.',
  }),
  setting({
    env: 'ZEROOPS_RETENTION_ANOMALIES_DAYS',
    key: 'retentionAnomaliesDays',
    schema: Days,
    default: 90,
    description: 'Days of anomaly events to keep; 0 keeps them forever.',
  }),
  setting({
    env: 'ZEROOPS_RETENTION_INCIDENTS_DAYS',
    key: 'retentionIncidentsDays',
    schema: Days,
    default: 365,
    description: 'Days closed incidents are kept after closing (open ones are always kept); 0 keeps them forever.',
  }),
  setting({
    env: 'ZEROOPS_RETENTION_EXECUTIONS_DAYS',
    key: 'retentionExecutionsDays',
    schema: Days,
    default: 180,
    description: 'Days finished executions (with their steps) are kept after finishing; unfinished ones are always kept; 0 keeps them forever.',
  }),
  setting({
    env: 'ZEROOPS_RETENTION_AUDIT_DAYS',
    key: 'retentionAuditDays',
    schema: Days,
    default: 730,
    description: 'Days of audit log entries to keep (the audit log is otherwise append-only); 0 keeps them forever.',
  }),
  setting({
    env: 'ZEROOPS_RETENTION_INTERVAL_SECONDS',
    key: 'retentionIntervalSeconds',
    schema: Type.Integer({ minimum: 0 }),
    default: 3_600,
    description: 'Seconds between runs of the retention job (run by the api process); 0 disables it.',
  }),
  setting({
    env: 'ZEROOPS_RETENTION_BATCH_ROWS',
    key: 'retentionBatchRows',
    schema: Type.Integer({ minimum: 1, maximum: 100_000 }),
    default: 1_000,
    description: 'Rows the retention job deletes per statement; each batch is its own short transaction.',
  }),
] as const;

/** Settings of the store's behaviour at run time and of data retention (part of {@link Config}), derived from {@link STORE_SETTINGS}. */
export type StoreConfig = SettingsValues<typeof STORE_SETTINGS>;
