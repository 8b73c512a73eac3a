import { type SQL, sql } from 'drizzle-orm';
import type { Component } from '../core/component.ts';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { StoreConfig } from '../core/store-settings.ts';
import type { Telemetry } from '../core/telemetry.ts';
import { type CoarseRollupPolicy, deleteCoarseRollups, foldRollups } from './rollup-fold.ts';
import type { Db, Store } from './store.ts';

/** The kinds of data the retention job removes, oldest first. */
export const RETENTION_KINDS = ['rollups', 'anomalies', 'incidents', 'executions', 'audit'] as const;
/** One kind of data with its own retention. */
export type RetentionKind = (typeof RETENTION_KINDS)[number];

/** How long each kind is kept, in days (0 keeps it forever), and the batch size. */
export interface RetentionPolicy {
  days: Record<RetentionKind, number>;
  /** Rows deleted per statement; each statement is its own short transaction. */
  batchRows: number;
  /**
   * Fine rollups past `days.rollups` are folded into coarser rows kept this
   * long, rather than deleted; absent or step 0: deleted.
   */
  coarseRollups?: CoarseRollupPolicy;
}

/** The {@link RetentionPolicy} of a configuration. */
export function retentionPolicyOf(config: StoreConfig): RetentionPolicy {
  return {
    days: {
      rollups: config.retentionRollupsDays,
      anomalies: config.retentionAnomaliesDays,
      incidents: config.retentionIncidentsDays,
      executions: config.retentionExecutionsDays,
      audit: config.retentionAuditDays,
    },
    batchRows: config.retentionBatchRows,
    coarseRollups: { stepSeconds: config.rollupCoarseSeconds, days: config.retentionCoarseRollupsDays },
  };
}

/**
 * One batch of `kind` older than `cutoff`: at most `n` rows, chosen through
 * the age index and skipping rows other sessions have locked, so a batch
 * neither waits on nor blocks the services for long. Returns rows deleted.
 */
function batchStatement(kind: RetentionKind, cutoff: string, n: number): SQL {
  const c = sql`${cutoff}::timestamptz`;
  const count = (del: SQL) => sql`WITH d AS (${del} RETURNING 1) SELECT count(*)::int AS n FROM d`;
  switch (kind) {
    case 'rollups':
      return count(
        sql`DELETE FROM rollups WHERE (service, window_end) IN (SELECT service, window_end FROM rollups WHERE window_end < ${c} LIMIT ${n} FOR UPDATE SKIP LOCKED)`,
      );
    case 'anomalies':
      return count(sql`DELETE FROM anomalies WHERE id IN (SELECT id FROM anomalies WHERE window_end < ${c} LIMIT ${n} FOR UPDATE SKIP LOCKED)`);
    case 'incidents':
      return count(
        sql`DELETE FROM incidents WHERE id IN (SELECT id FROM incidents WHERE state = 'closed' AND closed_at < ${c} LIMIT ${n} FOR UPDATE SKIP LOCKED)`,
      );
    case 'executions':
      // Steps go with their execution (ON DELETE CASCADE).
      return count(
        sql`DELETE FROM executions WHERE id IN (SELECT id FROM executions WHERE finished_at IS NOT NULL AND finished_at < ${c} LIMIT ${n} FOR UPDATE SKIP LOCKED)`,
      );
    case 'audit':
      // The audit log is append-only; this function is the one way to remove old rows (migration 0004).
      return sql`SELECT zeroops_prune_audit_log(${c}, ${n}) AS n`;
  }
}

async function deleteBatch(db: Db, kind: RetentionKind, cutoff: string, n: number): Promise<number> {
  const res = (await db.execute(batchStatement(kind, cutoff, n))) as unknown as { rows: { n: number | string }[] };
  return Number(res.rows[0]?.n ?? 0);
}

/**
 * Deletes, kind by kind, the rows older than their retention (relative to
 * `now`), in batches of `policy.batchRows` until a batch comes back short or
 * `shouldStop()` says so. Returns rows deleted per kind.
 */
export async function runRetention(db: Db, policy: RetentionPolicy, now = new Date(), shouldStop = () => false): Promise<Record<RetentionKind, number>> {
  const deleted = Object.fromEntries(RETENTION_KINDS.map((k) => [k, 0])) as Record<RetentionKind, number>;
  const coarse = policy.coarseRollups;
  for (const kind of RETENTION_KINDS) {
    const days = policy.days[kind];
    if (kind === 'rollups' && coarse && coarse.stepSeconds > 0) {
      deleted.rollups += await coarseRetention(db, policy, coarse, now, shouldStop);
      continue;
    }
    if (days <= 0) continue;
    const cutoff = new Date(now.getTime() - days * 86_400_000).toISOString();
    for (;;) {
      if (shouldStop()) return deleted;
      const n = await deleteBatch(db, kind, cutoff, policy.batchRows);
      deleted[kind] += n;
      if (n < policy.batchRows) break;
      // Let other work reach the database between batches.
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  return deleted;
}

/** Fine rollups past their retention folded into coarse ones, coarse ones past theirs deleted; returns rows removed. */
async function coarseRetention(db: Db, policy: RetentionPolicy, coarse: CoarseRollupPolicy, now: Date, shouldStop: () => boolean): Promise<number> {
  let removed = 0;
  if (policy.days.rollups > 0) removed += await foldRollups(db, new Date(now.getTime() - policy.days.rollups * 86_400_000), coarse.stepSeconds, shouldStop);
  if (coarse.days <= 0) return removed;
  const cutoff = new Date(now.getTime() - coarse.days * 86_400_000);
  for (;;) {
    if (shouldStop()) return removed;
    const n = await deleteCoarseRollups(db, cutoff, policy.batchRows);
    removed += n;
    if (n < policy.batchRows) return removed;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * The retention job as a component: runs {@link runRetention} shortly after
 * start and then every `retentionIntervalSeconds` (0: never). A failed run is
 * logged and retried at the next interval. `stop()` waits for the batch in
 * flight, never for the rest of a run.
 */
export function createRetentionJob(deps: { store: Store; logger: Logger; telemetry: Telemetry }, config: StoreConfig): Component {
  const logger = deps.logger.child({ component: 'retention' });
  const policy = retentionPolicyOf(config);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const runOnce = async () => {
    try {
      const deleted = await runRetention(deps.store.db, policy, new Date(), () => stopped);
      for (const k of RETENTION_KINDS) if (deleted[k] > 0) deps.telemetry.count('zeroops.store.retention.deleted', { kind: k }, deleted[k]);
      if (RETENTION_KINDS.some((k) => deleted[k] > 0)) logger.info({ deleted }, 'retention: removed data past its retention');
    } catch (err) {
      logger.warn({ err: describeError(err) }, 'retention run failed; retrying at the next interval');
    }
  };
  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runOnce().finally(() => schedule(config.retentionIntervalSeconds * 1000));
    }, ms);
    timer.unref();
  };
  return {
    name: 'retention',
    async start() {
      if (config.retentionIntervalSeconds > 0) schedule(Math.min(60_000, config.retentionIntervalSeconds * 1000));
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
