/**
 * Who resolved an incident, as the executor learns it: `auto` when an
 * execution that ran without a person verified the fix, `human` when a
 * person approved the execution that did, `self` when the episode closed
 * but no execution of it worked. `needed_human` turns true as soon as a
 * person had to decide (approve or reject) or an execution escalated.
 * The detector's sink writes `self` itself when an episode closes with no
 * execution under way; these writes cover the executions that were.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import { type ExecutionRow, incidents } from '../store/index.ts';
import type { DbOrTx } from './execution-repo.ts';

/** Records that a person had to act on the incident of `episodeId` (approval, rejection). */
export async function noteHumanNeeded(db: DbOrTx, episodeId: string): Promise<void> {
  await db.update(incidents).set({ neededHuman: true, updatedAt: sql`now()` }).where(eq(incidents.id, episodeId));
}

/**
 * Records what a finished execution says about who resolved its incident:
 * a `resolved` outcome makes it `auto` (mode `auto`) or `human` (an approved
 * suggestion) and overrides `self`; an `escalated` one marks it as needing a
 * human; any other outcome on an incident that has closed meanwhile and has
 * no resolver yet makes it `self`.
 */
export async function recordResolution(db: DbOrTx, row: ExecutionRow, outcome: string): Promise<void> {
  if (outcome === 'resolved') {
    const by = row.mode === 'auto' ? 'auto' : 'human';
    await db
      .update(incidents)
      .set({ resolvedBy: by, ...(by === 'human' ? { neededHuman: true } : {}), updatedAt: sql`now()` })
      .where(eq(incidents.id, row.episodeId));
    return;
  }
  if (outcome === 'escalated') await noteHumanNeeded(db, row.episodeId);
  await db
    .update(incidents)
    .set({ resolvedBy: 'self', updatedAt: sql`now()` })
    .where(and(eq(incidents.id, row.episodeId), eq(incidents.state, 'closed'), isNull(incidents.resolvedBy)));
}
