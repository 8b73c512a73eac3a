import { and, asc, eq, isNotNull, lt, not, sql } from 'drizzle-orm';
import type { Bus } from '../bus/bus.ts';
import { encodeOutcome } from '../bus/messages.ts';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { DEFAULT_RETRY, type RetryPolicy, withRetry } from '../core/retry.ts';
import type { Telemetry } from '../core/telemetry.ts';
import type { Db, ExecutionRow } from '../store/index.ts';
import { executions } from '../store/index.ts';
import { outcomeEventOf } from './decide.ts';
import { decisionRecord } from './execution-repo.ts';

/**
 * Marks the outcome of `row` published, only if the row still holds that
 * outcome (same status, outcome and reason): a newer outcome written
 * meanwhile stays unpublished for the sweep.
 */
export async function markOutcomePublished(db: Db, row: ExecutionRow): Promise<void> {
  await db
    .update(executions)
    .set({ outcomePublished: true })
    .where(and(eq(executions.id, row.id), eq(executions.status, row.status), eq(executions.outcome, row.outcome ?? ''), eq(executions.reason, row.reason)));
}

/**
 * Publishes the outcome of `row` on `topic` (key = service) and marks it
 * published. Rejects when the bus refuses it; the row then stays
 * unpublished and an executor's sweep publishes it later.
 */
export async function publishOutcomeOf(db: Db, bus: Bus, topic: string, row: ExecutionRow, kind: string): Promise<void> {
  await bus.publish(topic, [{ key: row.service, value: encodeOutcome(outcomeEventOf(row, kind)) }]);
  await markOutcomePublished(db, row);
}

/** Dependencies and tuning of {@link createOutcomeOutbox}. */
export interface OutcomeOutboxSettings {
  db: Db;
  bus: Bus;
  /** The outcomes topic. */
  topic: string;
  logger: Logger;
  telemetry: Telemetry;
  /** Retries of an immediate publication (default {@link DEFAULT_RETRY}). */
  retry?: RetryPolicy;
  /** An outcome unpublished for this long, in ms, is the sweep's to publish (default 10 000): younger ones are still being published inline. */
  graceMs: number;
  /** Most outcomes republished per sweep (default 200). */
  batchSize?: number;
}

/**
 * The outcome outbox: the executions row is the record of an outcome and
 * `outcome_published` says whether the bus has it. Outcomes are published
 * right after they are written; those the bus refused (or whose writer died
 * first) are republished by {@link OutcomeOutbox.sweep}. Delivery is
 * at-least-once: consumers deduplicate by execution id and outcome.
 */
export interface OutcomeOutbox {
  /** Publishes now (with retries) and marks the row; on failure logs, counts and leaves it to the sweep. Never rejects. */
  publish(row: ExecutionRow, kind: string): Promise<void>;
  /** Publishes, in one batch, outcomes left unpublished for longer than the grace period; resolves to how many. Rejects when the bus or store fails. */
  sweep(): Promise<number>;
}

/** Creates the {@link OutcomeOutbox} of an executor. */
export function createOutcomeOutbox(s: OutcomeOutboxSettings): OutcomeOutbox {
  const retry = s.retry ?? DEFAULT_RETRY;
  const batchSize = s.batchSize ?? 200;
  return {
    async publish(row, kind) {
      try {
        await withRetry(retry, () => s.bus.publish(s.topic, [{ key: row.service, value: encodeOutcome(outcomeEventOf(row, kind)) }]));
      } catch (err) {
        s.telemetry.count('zeroops.executor.outcome_publish_failures');
        s.logger.warn({ err: describeError(err), execution: row.id }, 'could not publish outcome; the outcome sweep will retry');
        return;
      }
      s.telemetry.count('zeroops.executor.outcomes', { outcome: row.outcome ?? '' });
      await markOutcomePublished(s.db, row).catch((err: unknown) => {
        // Published but not marked: the sweep publishes it once more (consumers are idempotent).
        s.logger.warn({ err: describeError(err), execution: row.id }, 'could not mark outcome published');
      });
    },
    async sweep() {
      const rows = await s.db
        .select()
        .from(executions)
        .where(
          and(isNotNull(executions.outcome), not(executions.outcomePublished), lt(executions.updatedAt, sql`now() - ${s.graceMs} * interval '1 millisecond'`)),
        )
        .orderBy(asc(executions.updatedAt))
        .limit(batchSize);
      if (rows.length === 0) return 0;
      const kinds = await Promise.all(
        rows.map(async (r) => String(((await decisionRecord(s.db, r.id))?.anomaly as { kind?: unknown } | undefined)?.kind ?? '')),
      );
      await s.bus.publish(
        s.topic,
        rows.map((r, i) => ({ key: r.service, value: encodeOutcome(outcomeEventOf(r, kinds[i] ?? '')) })),
      );
      for (const r of rows) await markOutcomePublished(s.db, r);
      s.telemetry.count('zeroops.executor.outcomes_republished', {}, rows.length);
      return rows.length;
    },
  };
}
