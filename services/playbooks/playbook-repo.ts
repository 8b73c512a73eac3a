import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, isNull, or } from 'drizzle-orm';
import { PermanentError } from '../core/errors.ts';
import type { Db } from '../store/index.ts';
import { auditLog, playbooks, playbookVersions } from '../store/index.ts';
import type { Playbook } from './playbook-schema.ts';

/** A playbook as the API shows it: identity plus its current version. */
export interface StoredPlaybook {
  id: string;
  name: string;
  version: number;
  spec: Playbook;
  createdAt: string;
  updatedAt: string;
}

/** One immutable version of a playbook. */
export interface StoredVersion {
  version: number;
  spec: Playbook;
  createdAt: string;
  createdBy: string;
}

/** What {@link applyBundle} did, by playbook name. */
export interface ApplyResult {
  created: string[];
  updated: string[];
  unchanged: string[];
  deleted: string[];
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type Executor = Db | Tx;

function notFound(id: string): PermanentError {
  return new PermanentError('ZEROOPS_NOT_FOUND', `no playbook with id or name "${id}"`, { statusCode: 404 });
}

/** JSON with object keys sorted: jsonb does not keep key order, so specs are compared in this form. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

const sameSpec = (a: unknown, b: unknown) => canonical(a) === canonical(b);

async function audit(db: Executor, actor: string, action: string, id: string, details: Record<string, unknown>): Promise<void> {
  await db.insert(auditLog).values({ actor, action, subjectType: 'playbook', subjectId: id, details });
}

async function findRow(db: Executor, idOrName: string, lock = false) {
  const q = db
    .select()
    .from(playbooks)
    .where(or(eq(playbooks.id, idOrName), eq(playbooks.name, idOrName)));
  const rows = lock ? await q.for('update') : await q;
  return rows[0];
}

/** Reads the live (not deleted) playbook `idOrName` with its current version; 404 when missing. */
export async function getPlaybook(db: Executor, idOrName: string): Promise<StoredPlaybook> {
  const rows = await db
    .select({ p: playbooks, v: playbookVersions })
    .from(playbooks)
    .innerJoin(playbookVersions, and(eq(playbookVersions.playbookId, playbooks.id), eq(playbookVersions.version, playbooks.currentVersion)))
    .where(and(or(eq(playbooks.id, idOrName), eq(playbooks.name, idOrName)), isNull(playbooks.deletedAt)));
  const r = rows[0];
  if (!r) throw notFound(idOrName);
  return storedPlaybook(r);
}

/** Every live playbook with its current version, by name. */
export async function listPlaybooks(db: Executor): Promise<StoredPlaybook[]> {
  const rows = await db
    .select({ p: playbooks, v: playbookVersions })
    .from(playbooks)
    .innerJoin(playbookVersions, and(eq(playbookVersions.playbookId, playbooks.id), eq(playbookVersions.version, playbooks.currentVersion)))
    .where(isNull(playbooks.deletedAt))
    .orderBy(asc(playbooks.name));
  return rows.map(storedPlaybook);
}

/** A playbook row joined with its current version, as the API returns it. */
function storedPlaybook(r: { p: typeof playbooks.$inferSelect; v: typeof playbookVersions.$inferSelect }): StoredPlaybook {
  return {
    id: r.p.id,
    name: r.p.name,
    version: r.p.currentVersion,
    spec: r.v.spec as Playbook,
    createdAt: r.p.createdAt.toISOString(),
    updatedAt: r.p.updatedAt.toISOString(),
  };
}

/** Every version of a playbook (deleted ones included), newest first; 404 when it never existed. */
export async function listVersions(db: Executor, idOrName: string): Promise<StoredVersion[]> {
  const row = await findRow(db, idOrName);
  if (!row) throw notFound(idOrName);
  const rows = await db.select().from(playbookVersions).where(eq(playbookVersions.playbookId, row.id)).orderBy(desc(playbookVersions.version));
  return rows.map((v) => ({ version: v.version, spec: v.spec as Playbook, createdAt: v.createdAt.toISOString(), createdBy: v.createdBy }));
}

/** Reads one version of a playbook (for resuming an execution); 404 when missing. */
export async function getVersion(db: Executor, playbookId: string, version: number): Promise<Playbook> {
  const rows = await db
    .select()
    .from(playbookVersions)
    .where(and(eq(playbookVersions.playbookId, playbookId), eq(playbookVersions.version, version)));
  if (!rows[0]) throw new PermanentError('ZEROOPS_NOT_FOUND', `no version ${version} of playbook ${playbookId}`, { statusCode: 404 });
  return rows[0].spec as Playbook;
}

async function writeVersion(tx: Tx, id: string, version: number, spec: Playbook, actor: string): Promise<void> {
  await tx.insert(playbookVersions).values({ playbookId: id, version, spec, createdBy: actor });
}

/**
 * Creates a playbook, or revives a deleted one of the same name as a new
 * version. 409 `ZEROOPS_CONFLICT` when a live playbook has that name.
 */
export async function createPlaybook(db: Db, spec: Playbook, actor: string): Promise<StoredPlaybook> {
  const id = await db.transaction(async (tx) => {
    const existing = await findRow(tx, spec.name, true);
    if (existing && existing.deletedAt === null) {
      throw new PermanentError('ZEROOPS_CONFLICT', `a playbook named "${spec.name}" exists (id ${existing.id}); update it with PUT`, { statusCode: 409 });
    }
    if (existing) {
      const version = existing.currentVersion + 1;
      await writeVersion(tx, existing.id, version, spec, actor);
      await tx.update(playbooks).set({ currentVersion: version, deletedAt: null, updatedAt: new Date() }).where(eq(playbooks.id, existing.id));
      await audit(tx, actor, 'playbook.create', existing.id, { name: spec.name, version, revived: true });
      return existing.id;
    }
    const newId = `pb_${randomUUID()}`;
    await tx.insert(playbooks).values({ id: newId, name: spec.name, currentVersion: 1 });
    await writeVersion(tx, newId, 1, spec, actor);
    await audit(tx, actor, 'playbook.create', newId, { name: spec.name, version: 1 });
    return newId;
  });
  return getPlaybook(db, id);
}

/** Writes `spec` as a new version of `idOrName` (no new version when nothing changed); 404 / 409 on a name clash. */
export async function updatePlaybook(db: Db, idOrName: string, spec: Playbook, actor: string): Promise<{ playbook: StoredPlaybook; changed: boolean }> {
  const result = await db.transaction(async (tx) => {
    const row = await findRow(tx, idOrName, true);
    if (!row || row.deletedAt !== null) throw notFound(idOrName);
    const current = await getVersion(tx, row.id, row.currentVersion);
    if (sameSpec(current, spec)) return { id: row.id, changed: false };
    if (spec.name !== row.name && (await findRow(tx, spec.name))) {
      throw new PermanentError('ZEROOPS_CONFLICT', `another playbook is named "${spec.name}"`, { statusCode: 409 });
    }
    const version = row.currentVersion + 1;
    await writeVersion(tx, row.id, version, spec, actor);
    await tx.update(playbooks).set({ name: spec.name, currentVersion: version, updatedAt: new Date() }).where(eq(playbooks.id, row.id));
    await audit(tx, actor, 'playbook.update', row.id, { name: spec.name, version });
    return { id: row.id, changed: true };
  });
  return { playbook: await getPlaybook(db, result.id), changed: result.changed };
}

/** Soft-deletes a playbook (its versions stay, executions keep their reference); 404 when missing. */
export async function deletePlaybook(db: Db, idOrName: string, actor: string): Promise<void> {
  await db.transaction(async (tx) => {
    const row = await findRow(tx, idOrName, true);
    if (!row || row.deletedAt !== null) throw notFound(idOrName);
    await tx.update(playbooks).set({ deletedAt: new Date(), updatedAt: new Date() }).where(eq(playbooks.id, row.id));
    await audit(tx, actor, 'playbook.delete', row.id, { name: row.name, version: row.currentVersion });
  });
}

/**
 * Makes the stored set of live playbooks equal to `bundle` (matched by
 * name): creates, updates (new versions only where the spec changed) and,
 * when `prune`, deletes those not in the bundle. Not atomic across the
 * bundle by design of idempotence: re-applying converges.
 */
export async function applyBundle(db: Db, bundle: Playbook[], actor: string, prune: boolean): Promise<ApplyResult> {
  const out: ApplyResult = { created: [], updated: [], unchanged: [], deleted: [] };
  const live = new Map((await listPlaybooks(db)).map((p) => [p.name, p]));
  for (const spec of bundle) {
    const current = live.get(spec.name);
    if (!current) {
      await createPlaybook(db, spec, actor);
      out.created.push(spec.name);
    } else {
      const r = await updatePlaybook(db, current.id, spec, actor);
      (r.changed ? out.updated : out.unchanged).push(spec.name);
    }
  }
  if (prune) {
    const wanted = new Set(bundle.map((p) => p.name));
    for (const [name, p] of live) {
      if (wanted.has(name)) continue;
      await deletePlaybook(db, p.id, actor);
      out.deleted.push(name);
    }
  }
  return out;
}
