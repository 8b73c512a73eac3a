/**
 * Graduated autonomy against the store: loads a playbook's rule and
 * autonomy state, applies one outcome (models/policy's state machine),
 * writes the effective mode and audits every change. Also the pin/unpin a
 * person does through the API.
 */
import { and, eq, sql } from 'drizzle-orm';
import {
  type AutonomyEvent,
  type AutonomyMode,
  type AutonomyRule,
  type AutonomyState,
  initialAutonomy,
  type ModeChange,
  pinAutonomy,
  stepAutonomy,
} from '../../models/policy/index.ts';
import { auditLog, type PlaybookModeRow, playbookModes, playbooks, playbookVersions } from '../store/index.ts';
import type { DbOrTx } from './policy-repo.ts';

/** The parts of a stored playbook spec autonomy reads (the spec's shape is owned by the playbooks module). */
interface SpecView {
  mode: AutonomyMode;
  autonomy?: {
    suggest: { successes?: number; lcb?: number; observed?: number };
    auto: { successes?: number; lcb?: number; observed?: number };
    failureStreak?: number;
    confidence?: number;
  };
}

/** The rule of a playbook's `autonomy` block with defaults filled in, or undefined when it has none. */
export function autonomyRuleOf(spec: SpecView): AutonomyRule | undefined {
  const a = spec.autonomy;
  if (!a) return undefined;
  const t = (x: { successes?: number; lcb?: number; observed?: number }) => ({ successes: x.successes ?? 0, lcb: x.lcb ?? 0, observed: x.observed ?? 0 });
  return { suggest: t(a.suggest), auto: t(a.auto), failureStreak: a.failureStreak ?? 3, confidence: a.confidence ?? 0.9 };
}

/** The current spec of a live playbook, or undefined when it is missing or deleted. */
export async function currentSpec(db: DbOrTx, playbookId: string): Promise<SpecView | undefined> {
  const rows = await db
    .select({ spec: playbookVersions.spec, deletedAt: playbooks.deletedAt })
    .from(playbooks)
    .innerJoin(playbookVersions, and(eq(playbookVersions.playbookId, playbooks.id), eq(playbookVersions.version, playbooks.currentVersion)))
    .where(eq(playbooks.id, playbookId));
  const r = rows[0];
  return r && !r.deletedAt ? (r.spec as SpecView) : undefined;
}

const stateOf = (row: PlaybookModeRow): AutonomyState => ({
  mode: row.mode as AutonomyMode,
  pinned: row.pinned,
  successes: row.successes,
  failures: row.failures,
  streak: row.streak,
  observed: row.observed,
});

/** Reads the playbook's mode row FOR UPDATE, creating it from the declared mode first (serializes concurrent trainers per playbook). */
async function lockState(tx: DbOrTx, playbookId: string, declared: AutonomyMode): Promise<AutonomyState> {
  await tx.insert(playbookModes).values({ playbookId, mode: declared, reason: 'declared mode', updatedBy: 'trainer' }).onConflictDoNothing();
  const [row] = await tx.select().from(playbookModes).where(eq(playbookModes.playbookId, playbookId)).for('update');
  return row ? stateOf(row) : initialAutonomy(declared);
}

async function writeState(tx: DbOrTx, playbookId: string, s: AutonomyState, actor: string, reason?: string): Promise<void> {
  await tx
    .update(playbookModes)
    .set({
      mode: s.mode,
      pinned: s.pinned,
      successes: s.successes,
      failures: s.failures,
      streak: s.streak,
      observed: s.observed,
      updatedAt: sql`now()` as unknown as Date,
      ...(reason === undefined ? {} : { reason, updatedBy: actor }),
    })
    .where(eq(playbookModes.playbookId, playbookId));
}

/**
 * Applies an outcome to the autonomy of `playbookId` (inside the caller's
 * transaction). Playbooks without an `autonomy` block and never pinned are
 * left alone. Returns the mode change, if any (already written and audited).
 */
export async function applyAutonomyOutcome(tx: DbOrTx, playbookId: string, ev: AutonomyEvent, executionId: string): Promise<ModeChange | undefined> {
  const spec = await currentSpec(tx, playbookId);
  const rule = spec && autonomyRuleOf(spec);
  if (!spec || !rule) return undefined;
  const { state, change } = stepAutonomy(await lockState(tx, playbookId, spec.mode), rule, ev);
  await writeState(tx, playbookId, state, 'trainer', change?.reason);
  if (change) {
    await tx.insert(auditLog).values({
      actor: 'trainer',
      action: 'playbook.mode',
      subjectType: 'playbook',
      subjectId: playbookId,
      details: { ...change, execution: executionId, outcome: ev.outcome, successes: state.successes, failures: state.failures },
    });
  }
  return change;
}

/**
 * Pins the effective mode of a playbook (or unpins it with `mode`
 * undefined, letting the record move it again), audited as
 * `playbook.mode.pin` / `playbook.mode.unpin`. Returns the new mode row.
 */
export async function pinPlaybookMode(
  db: DbOrTx,
  playbookId: string,
  declared: AutonomyMode,
  mode: AutonomyMode | undefined,
  actor: string,
  note: string,
): Promise<PlaybookModeRow> {
  return db.transaction(async (tx) => {
    const before = await lockState(tx, playbookId, declared);
    const after = pinAutonomy(before, mode);
    const reason = mode === undefined ? `unpinned by ${actor}${note ? `: ${note}` : ''}` : `pinned to ${mode} by ${actor}${note ? `: ${note}` : ''}`;
    await writeState(tx, playbookId, after, actor, reason);
    await tx.insert(auditLog).values({
      actor,
      action: mode === undefined ? 'playbook.mode.unpin' : 'playbook.mode.pin',
      subjectType: 'playbook',
      subjectId: playbookId,
      details: { from: before.mode, to: after.mode, pinned: after.pinned, note },
    });
    return (await tx.select().from(playbookModes).where(eq(playbookModes.playbookId, playbookId)))[0] as PlaybookModeRow;
  });
}
