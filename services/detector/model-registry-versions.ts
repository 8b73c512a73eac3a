/**
 * The versions of the models that are not trained weights: each per-service
 * calibration (written by the trainer, in the transaction that writes the
 * calibration itself, so `detector_calibrations` and the registry cannot
 * disagree) and each set of baseline parameters a detector runs with
 * (registered at start, once per parameter set: the id is the hash).
 */
import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { type Db, isUniqueViolation, type ModelVersionRow, modelVersions } from '../store/index.ts';
import { type DbOrTx, getModelVersion, modelInState, newModelId } from './model-registry-repo.ts';

/** A new calibration version of a service, as the trainer registers it. */
export interface NewCalibrationVersion {
  service: string;
  /** `detector_calibrations.version` it matches. */
  version: number;
  /** The label that caused it, in words. */
  reason: string;
  /** The shifts and the label (shown by the API). */
  quality: Record<string, unknown>;
  /** The whole calibration state. */
  params: unknown;
}

/**
 * Registers calibration version `v` of its service as the active one, the
 * previous active version of that service retired and made its parent.
 * Run it inside the transaction that writes the calibration.
 */
export async function registerCalibrationVersion(tx: DbOrTx, v: NewCalibrationVersion, nowMs = Date.now()): Promise<ModelVersionRow> {
  const now = new Date(nowMs);
  const prev = await modelInState(tx, 'calibration', 'active', v.service);
  if (prev)
    await tx
      .update(modelVersions)
      .set({ state: 'retired', retiredAt: now, decision: `replaced by calibration version ${v.version} of ${v.service}` })
      .where(and(eq(modelVersions.id, prev.id), eq(modelVersions.state, 'active')));
  const rows = await tx
    .insert(modelVersions)
    .values({
      id: newModelId('calibration', nowMs),
      kind: 'calibration',
      state: 'active',
      parentId: prev?.id ?? null,
      service: v.service,
      version: v.version,
      reason: v.reason,
      quality: v.quality,
      params: v.params ?? null,
      createdAt: now,
      promotedAt: now,
    })
    .returning();
  return rows[0] as ModelVersionRow;
}

/** The registry id of a baseline parameter set: `baselines-` and the first 8 hex digits of the SHA-256 of its canonical text. */
export function baselinesIdOf(canonical: string): string {
  return `baselines-${createHash('sha256').update(canonical).digest('hex').slice(0, 8)}`;
}

async function activateBaselines(db: DbOrTx, id: string, canonical: string, params: unknown): Promise<void> {
  const now = new Date();
  const active = await modelInState(db, 'baselines', 'active');
  if (active?.id === id) return;
  if (active)
    await db
      .update(modelVersions)
      .set({ state: 'retired', retiredAt: now, decision: `replaced by ${id}: a detector started with other baseline parameters` })
      .where(and(eq(modelVersions.id, active.id), eq(modelVersions.state, 'active')));
  const known = await getModelVersion(db, id);
  if (known) {
    await db
      .update(modelVersions)
      .set({ state: 'active', promotedAt: now, retiredAt: null, decision: 'a detector started with these baseline parameters again' })
      .where(eq(modelVersions.id, id));
    return;
  }
  await db
    .insert(modelVersions)
    .values({
      id,
      kind: 'baselines',
      state: 'active',
      parentId: active?.id ?? null,
      reason: active ? `a detector started with baseline parameters other than ${active.id}'s` : 'initial baseline parameters of the detector',
      quality: { hash: id.slice('baselines-'.length), bytes: canonical.length },
      params: params ?? null,
      createdAt: now,
      promotedAt: now,
    })
    .onConflictDoNothing();
}

/**
 * Makes the parameter set `params` (canonical text `canonical`) the active
 * baselines version, registering it the first time it is seen; nothing is
 * written when it is already the active one. Replicas starting at once:
 * one wins, the others retry once. Returns the version id.
 */
export async function ensureBaselinesVersion(db: Db, canonical: string, params: unknown): Promise<string> {
  const id = baselinesIdOf(canonical);
  if ((await modelInState(db, 'baselines', 'active'))?.id === id) return id;
  for (let attempt = 0; ; attempt++) {
    try {
      await db.transaction((tx) => activateBaselines(tx, id, canonical, params));
      return id;
    } catch (err) {
      if (attempt > 0 || !isUniqueViolation(err)) throw err;
    }
  }
}
