import { createHash } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { AnomalyEvent } from '../bus/messages.ts';
import type { GuardrailsSpec } from '../playbooks/index.ts';
import type { ExecutionRow } from '../store/index.ts';
import { executions, incidents } from '../store/index.ts';
import { ACTING_STATUSES, type DbOrTx } from './execution-repo.ts';
import type { GuardrailFacts } from './guardrails.ts';

/** Seed of the advisory lock keys of decisions (keeps them apart from other advisory locks, e.g. migrations). */
const LOCK_NAMESPACE = 'zeroops.executor.decide';

/** A signed 64-bit advisory lock key for `name`, as a decimal string (hash collisions only serialize more). */
export function lockKeyOf(name: string): string {
  return createHash('sha256').update(`${LOCK_NAMESPACE}:${name}`).digest().readBigInt64BE(0).toString();
}

/**
 * The advisory locks a decision takes, sorted so that every decision takes
 * them in one order (no deadlocks): the service (cooldown), the playbook
 * (max runs per hour, max concurrent) and, only when the playbook has a
 * fleet-wide budget, the fleet. Each guardrail's count is then read by
 * decisions that are serialized with every other decision that can change
 * it, which is what the former single global lock guaranteed.
 */
export function decisionLockKeys(service: string, playbookId: string, g: Pick<GuardrailsSpec, 'fleetMaxRunsPerHour'>): string[] {
  const names = [`service:${service}`, `playbook:${playbookId}`, ...(g.fleetMaxRunsPerHour === undefined ? [] : ['fleet'])];
  return [...new Set(names.map(lockKeyOf))].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : BigInt(x) > BigInt(y) ? 1 : 0));
}

/** Takes the transaction-level advisory locks `keys`, in the given order, in one round trip. */
export async function takeDecisionLocks(tx: DbOrTx, keys: string[]): Promise<void> {
  // The target list is evaluated left to right, so the locks are taken in the order given.
  await tx.execute(
    sql`select ${sql.join(
      keys.map((k) => sql`pg_advisory_xact_lock(${k}::bigint)`),
      sql`, `,
    )}`,
  );
}

/** The existing execution of (episode, playbook) (its latest attempt), if any, and the guardrails' facts: one round trip. */
export interface DecisionSnapshot {
  existing: ExecutionRow | undefined;
  facts: GuardrailFacts;
}

const acting = sql.join(
  ACTING_STATUSES.map((s) => sql`${s}`),
  sql`, `,
);

/**
 * Reads everything a decision needs in ONE query, each part through an index:
 * the latest attempt of the (episode, playbook) execution, the incidents
 * row, the service's latest acting execution, this playbook's acting runs in
 * the last hour and its unfinished ones, and the fleet's acting runs in the
 * last hour. Counts use the database clock and count every attempt (a
 * follow-up is an action of its own; the run it followed stays counted).
 */
export async function readDecisionSnapshot(db: DbOrTx, a: AnomalyEvent, playbookId: string, now: number): Promise<DecisionSnapshot> {
  const [row] = await db
    .select({
      ex: executions,
      incState: incidents.state,
      incFlapping: incidents.flapping,
      last: sql<
        Date | string | null
      >`(select x.created_at from executions x where x.service = ${a.service} and x.status in (${acting}) order by x.created_at desc limit 1)`,
      pb: sql<
        number | string
      >`(select count(*) from executions x where x.playbook_id = ${playbookId} and x.created_at > now() - interval '1 hour' and x.status in (${acting}))`,
      fleet: sql<number | string>`(select count(*) from executions x where x.created_at > now() - interval '1 hour' and x.status in (${acting}))`,
      running: sql<number | string>`(select count(*) from executions x where x.playbook_id = ${playbookId} and x.status in ('pending', 'running'))`,
    })
    .from(sql`(select 1) as one`)
    .leftJoin(
      executions,
      and(
        eq(executions.episodeId, a.episodeId),
        eq(executions.playbookId, playbookId),
        // The latest attempt: earlier runs of a followed-up execution stay as rows of their own.
        eq(executions.attempt, sql`(select max(y.attempt) from executions y where y.episode_id = ${a.episodeId} and y.playbook_id = ${playbookId})`),
      ),
    )
    .leftJoin(incidents, eq(incidents.id, a.episodeId));
  const episodeOpen = row?.incState ? row.incState === 'open' : a.episodeState !== 'closed';
  return {
    existing: row?.ex ?? undefined,
    facts: {
      now,
      episodeOpen,
      flapping: a.flapping || (row?.incFlapping ?? false),
      lastServiceRunAt: row?.last == null ? null : new Date(row.last).getTime(),
      playbookRunsLastHour: Number(row?.pb ?? 0),
      fleetRunsLastHour: Number(row?.fleet ?? 0),
      playbookRunning: Number(row?.running ?? 0),
    },
  };
}
