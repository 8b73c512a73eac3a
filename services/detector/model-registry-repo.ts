/**
 * The model registry in the store (`model_versions`): registering versions,
 * reading the active and shadow version of a kind, promotion, retirement and
 * rollback (each in one transaction, audited), and the paired live counts
 * that detector replicas add to a shadow version.
 */
import { randomUUID } from 'node:crypto';
import { and, desc, eq, isNotNull, lt, ne, sql } from 'drizzle-orm';
import { PermanentError } from '../core/errors.ts';
import { auditLog, type Db, type ModelKind, type ModelVersionRow, modelVersions } from '../store/index.ts';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

/** What registering a version takes. */
export interface NewModelVersion {
  kind: ModelKind;
  state: 'shadow' | 'active';
  parentId: string | null;
  reason: string;
  quality?: Record<string, unknown>;
  params?: unknown;
}

/** A fresh version id: the kind, a time stamp (base 36) and random characters, e.g. `neural-mgq3k2a1-4f0c9b2e`. */
export function newModelId(kind: ModelKind, nowMs = Date.now()): string {
  return `${kind}-${nowMs.toString(36)}-${randomUUID().slice(0, 8)}`;
}

/** The version `id`, if registered. */
export async function getModelVersion(db: DbOrTx, id: string): Promise<ModelVersionRow | undefined> {
  return (await db.select().from(modelVersions).where(eq(modelVersions.id, id)))[0];
}

/** The version of `kind` in `state` (the newest, for `shadow`); of `service` for a per-service kind (`calibration`). */
export async function modelInState(db: DbOrTx, kind: ModelKind, state: 'active' | 'shadow', service = ''): Promise<ModelVersionRow | undefined> {
  const rows = await db
    .select()
    .from(modelVersions)
    .where(and(eq(modelVersions.kind, kind), eq(modelVersions.service, service), eq(modelVersions.state, state)))
    .orderBy(desc(modelVersions.createdAt))
    .limit(1);
  return rows[0];
}

/** Registers a version (the caller makes sure an `active` one is the only one: else the unique index refuses it). */
export async function registerModelVersion(db: DbOrTx, v: NewModelVersion, nowMs = Date.now()): Promise<ModelVersionRow> {
  const now = new Date(nowMs);
  const rows = await db
    .insert(modelVersions)
    .values({
      id: newModelId(v.kind, nowMs),
      kind: v.kind,
      state: v.state,
      parentId: v.parentId,
      reason: v.reason,
      quality: v.quality ?? {},
      params: v.params ?? null,
      createdAt: now,
      promotedAt: v.state === 'active' ? now : null,
    })
    .returning();
  return rows[0] as ModelVersionRow;
}

/**
 * The active version of `kind`; when there is none, registers one from
 * `params` (several replicas starting at once: one wins, all get it).
 */
export async function ensureActiveModel(db: Db, kind: ModelKind, params: () => unknown, reason: string): Promise<ModelVersionRow> {
  const active = await modelInState(db, kind, 'active');
  if (active) return active;
  const now = new Date();
  await db
    .insert(modelVersions)
    .values({ id: newModelId(kind), kind, state: 'active', parentId: null, reason, params: params() ?? null, createdAt: now, promotedAt: now })
    .onConflictDoNothing();
  const won = await modelInState(db, kind, 'active');
  if (!won) throw new Error(`no active ${kind} model version after registering one`);
  return won;
}

function notFound(id: string): PermanentError {
  return new PermanentError('ZEROOPS_NOT_FOUND', `no model version with id "${id}"; GET /api/v1/models lists them`, { statusCode: 404 });
}

/** Locks version `id`; only neural versions are promoted and rolled back by people (the others follow labels and the detector's parameters). */
async function lockVersion(tx: Tx, id: string): Promise<ModelVersionRow> {
  const row = (await tx.select().from(modelVersions).where(eq(modelVersions.id, id)).for('update'))[0];
  if (!row) throw notFound(id);
  if (row.kind !== 'neural')
    throw new PermanentError(
      'ZEROOPS_CONFLICT',
      `model version ${id} is a ${row.kind} version: it follows ${row.kind === 'calibration' ? 'the labels of its service' : "the detector's configured parameters"}, only neural versions are promoted or rolled back`,
      { statusCode: 409 },
    );
  return row;
}

/** Makes `target` the active version of its kind, retiring the one it replaces (inside `tx`). */
async function activate(tx: Tx, target: ModelVersionRow, decision: string, replacedDecision: string): Promise<ModelVersionRow | undefined> {
  const now = new Date();
  const replaced = (
    await tx
      .update(modelVersions)
      .set({ state: 'retired', retiredAt: now, decision: replacedDecision })
      .where(
        and(eq(modelVersions.kind, target.kind), eq(modelVersions.service, target.service), eq(modelVersions.state, 'active'), ne(modelVersions.id, target.id)),
      )
      .returning()
  )[0];
  await tx.update(modelVersions).set({ state: 'active', promotedAt: now, retiredAt: null, decision }).where(eq(modelVersions.id, target.id));
  return replaced;
}

/**
 * Promotes version `id` (shadow or retired) to active, retiring the active
 * version of its kind; audited as `model.promote`. 404 for an unknown id,
 * 409 when it is already active (promotion is not silently idempotent: the
 * caller learns that nothing changed).
 */
export async function promoteModel(db: Db, id: string, actor: string, why: string): Promise<ModelVersionRow> {
  return db.transaction(async (tx) => {
    const row = await lockVersion(tx, id);
    if (row.state === 'active')
      throw new PermanentError('ZEROOPS_CONFLICT', `model version ${id} is already the active ${row.kind} version; nothing to promote`, { statusCode: 409 });
    const decision = `promoted by ${actor}${why ? `: ${why}` : ''}`;
    const replaced = await activate(tx, row, decision, `replaced by ${id} (promoted by ${actor})`);
    await tx.insert(auditLog).values({
      actor,
      action: 'model.promote',
      subjectType: 'model',
      subjectId: id,
      details: { kind: row.kind, from: row.state, replaced: replaced?.id ?? null, reason: why },
    });
    return (await getModelVersion(tx, id)) as ModelVersionRow;
  });
}

/**
 * Rolls the active version `id` back: the version it came from (its parent,
 * else the last one promoted before `id` was made) becomes active again and `id` is
 * retired; audited as `model.rollback`. 404 for an unknown id; 409 when `id`
 * is not the active version or there is nothing to roll back to.
 */
export async function rollbackModel(db: Db, id: string, actor: string, why: string): Promise<ModelVersionRow> {
  return db.transaction(async (tx) => {
    const row = await lockVersion(tx, id);
    if (row.state !== 'active')
      throw new PermanentError('ZEROOPS_CONFLICT', `model version ${id} is ${row.state}: only the active version of a kind can be rolled back`, {
        statusCode: 409,
      });
    const parent = row.parentId ? await getModelVersion(tx, row.parentId) : undefined;
    const earlier =
      parent ??
      (
        await tx
          .select()
          .from(modelVersions)
          .where(
            and(eq(modelVersions.kind, row.kind), ne(modelVersions.id, id), isNotNull(modelVersions.promotedAt), lt(modelVersions.promotedAt, row.createdAt)),
          )
          .orderBy(desc(modelVersions.promotedAt))
          .limit(1)
      )[0];
    if (!earlier) throw new PermanentError('ZEROOPS_CONFLICT', `model version ${id} has no earlier ${row.kind} version to roll back to`, { statusCode: 409 });
    await activate(tx, earlier, `restored by ${actor}: rollback of ${id}`, `rolled back by ${actor}${why ? `: ${why}` : ''}`);
    await tx.insert(auditLog).values({
      actor,
      action: 'model.rollback',
      subjectType: 'model',
      subjectId: id,
      details: { kind: row.kind, restored: earlier.id, reason: why },
    });
    return (await getModelVersion(tx, earlier.id)) as ModelVersionRow;
  });
}

/** Retires shadow version `id` with the reason (the gate's); audited as `model.retire`. False when it is no longer a shadow. */
export async function retireShadow(db: Db, id: string, actor: string, why: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const done = await tx
      .update(modelVersions)
      .set({ state: 'retired', retiredAt: new Date(), decision: `retired by ${actor}: ${why}` })
      .where(and(eq(modelVersions.id, id), eq(modelVersions.state, 'shadow')))
      .returning({ id: modelVersions.id });
    if (done.length === 0) return false;
    await tx.insert(auditLog).values({ actor, action: 'model.retire', subjectType: 'model', subjectId: id, details: { reason: why } });
    return true;
  });
}

/** Paired live counts of a shadow version against the active one, as one replica measured them. */
export interface ShadowCounts {
  windows: number;
  shadowAlarms: number;
  baselineAlarms: number;
  shadowErrorSum: number;
}

/** Adds a replica's counts to shadow version `id` (atomic increments: replicas add up; nothing once it left the shadow). */
export async function addShadowCounts(db: DbOrTx, id: string, c: ShadowCounts): Promise<void> {
  if (c.windows === 0) return;
  await db
    .update(modelVersions)
    .set({
      shadowWindows: sql`${modelVersions.shadowWindows} + ${c.windows}`,
      shadowAlarms: sql`${modelVersions.shadowAlarms} + ${c.shadowAlarms}`,
      baselineAlarms: sql`${modelVersions.baselineAlarms} + ${c.baselineAlarms}`,
      shadowErrorSum: sql`${modelVersions.shadowErrorSum} + ${c.shadowErrorSum}`,
    })
    .where(and(eq(modelVersions.id, id), eq(modelVersions.state, 'shadow')));
}
