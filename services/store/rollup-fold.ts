import { and, eq, gt, lte, min, sql } from 'drizzle-orm';
import { type NewRollupRow, rollups } from './schema/index.ts';
import type { Db } from './store.ts';

/** Coarse rollups: fine windows past their retention are folded into rows of `stepSeconds`, kept `days` (0: forever). */
export interface CoarseRollupPolicy {
  /** Length of a coarse rollup, s; 0 folds nothing (fine rows past their retention are simply deleted). */
  stepSeconds: number;
  days: number;
}

/** Buckets folded per transaction. */
const BUCKETS_PER_CHUNK = 24;

/** A fine row as the fold reads it. */
type FineRow = Pick<NewRollupRow, 'service' | 'windowEnd' | 'features' | 'expected' | 'callees' | 'calleeErrors' | 'score'>;

function meanOf(sum: number, n: number): number {
  return sum / n;
}

/**
 * The coarse rows of `rows`, one per service and bucket `(end - step, end]`
 * (pure): each feature the mean of the windows that have it, each expected
 * value and band edge the mean of the windows that have a band for that
 * feature, calls and failed calls to each callee summed, the score the highest.
 */
export function foldRows(rows: FineRow[], stepMs: number): NewRollupRow[] {
  const groups = new Map<string, FineRow[]>();
  for (const r of rows) {
    const end = Math.ceil((r.windowEnd as Date).getTime() / stepMs) * stepMs;
    const key = `${end}\u0000${r.service}`;
    const list = groups.get(key) ?? [];
    list.push(r);
    groups.set(key, list);
  }
  const out: NewRollupRow[] = [];
  for (const [key, list] of groups) {
    const [end, service] = key.split('\u0000') as [string, string];
    const feat = new Map<string, [number, number]>();
    const band = new Map<string, [number, number, number, number]>();
    const callees: Record<string, number> = {};
    const calleeErrors: Record<string, number> = {};
    for (const r of list) {
      for (const [f, v] of Object.entries(r.features)) {
        if (!Number.isFinite(v)) continue;
        const acc = feat.get(f) ?? [0, 0];
        feat.set(f, [acc[0] + v, acc[1] + 1]);
      }
      for (const [f, [e, lo, hi]] of Object.entries(r.expected ?? {})) {
        const acc = band.get(f) ?? [0, 0, 0, 0];
        band.set(f, [acc[0] + e, acc[1] + lo, acc[2] + hi, acc[3] + 1]);
      }
      for (const [c, n] of Object.entries(r.callees ?? {})) callees[c] = (callees[c] ?? 0) + n;
      for (const [c, n] of Object.entries(r.calleeErrors ?? {})) calleeErrors[c] = (calleeErrors[c] ?? 0) + n;
    }
    out.push({
      service,
      windowEnd: new Date(Number(end)),
      features: Object.fromEntries([...feat].map(([f, [s, n]]) => [f, meanOf(s, n)])),
      expected: Object.fromEntries([...band].map(([f, [e, lo, hi, n]]) => [f, [meanOf(e, n), meanOf(lo, n), meanOf(hi, n)] as [number, number, number]])),
      callees,
      calleeErrors,
      score: Math.max(...list.map((r) => r.score)),
      stepSeconds: stepMs / 1000,
    });
  }
  return out;
}

/**
 * Folds the fine rollups (step 0) of whole buckets ending at or before
 * `cutoff` into coarse rows of `stepSeconds`, oldest first, a day's worth of
 * buckets per transaction (read, delete the fine rows, write the coarse
 * ones). A fine row arriving after its bucket was folded is dropped (the
 * coarse row stays). Returns the fine rows folded.
 */
export async function foldRollups(db: Db, cutoff: Date, stepSeconds: number, shouldStop = () => false): Promise<number> {
  const stepMs = stepSeconds * 1000;
  const lastEnd = Math.floor(cutoff.getTime() / stepMs) * stepMs;
  let folded = 0;
  for (;;) {
    if (shouldStop()) return folded;
    const [first] = await db
      .select({ t: min(rollups.windowEnd) })
      .from(rollups)
      .where(and(eq(rollups.stepSeconds, 0), lte(rollups.windowEnd, new Date(lastEnd))));
    if (!first?.t) return folded;
    const start = Math.ceil(first.t.getTime() / stepMs) * stepMs - stepMs;
    const end = Math.min(lastEnd, start + BUCKETS_PER_CHUNK * stepMs);
    const inChunk = and(eq(rollups.stepSeconds, 0), gt(rollups.windowEnd, new Date(start)), lte(rollups.windowEnd, new Date(end)));
    folded += await db.transaction(async (tx) => {
      const rows = await tx
        .select({
          service: rollups.service,
          windowEnd: rollups.windowEnd,
          features: rollups.features,
          expected: rollups.expected,
          callees: rollups.callees,
          calleeErrors: rollups.calleeErrors,
          score: rollups.score,
        })
        .from(rollups)
        .where(inChunk)
        .for('update');
      await tx.delete(rollups).where(inChunk);
      const coarse = foldRows(rows, stepMs);
      for (let i = 0; i < coarse.length; i += 500) {
        await tx
          .insert(rollups)
          .values(coarse.slice(i, i + 500))
          .onConflictDoNothing();
      }
      return rows.length;
    });
    // Let other work reach the database between chunks.
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Deletes coarse rollups (step > 0) ending before `cutoff`, at most `n`; returns rows deleted. */
export async function deleteCoarseRollups(db: Db, cutoff: Date, n: number): Promise<number> {
  const res = (await db.execute(
    sql`WITH d AS (DELETE FROM rollups WHERE (service, window_end) IN (SELECT service, window_end FROM rollups WHERE step_seconds > 0 AND window_end < ${cutoff.toISOString()}::timestamptz LIMIT ${n} FOR UPDATE SKIP LOCKED) RETURNING 1) SELECT count(*)::int AS n FROM d`,
  )) as unknown as { rows: { n: number | string }[] };
  return Number(res.rows[0]?.n ?? 0);
}
