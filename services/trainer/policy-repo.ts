/**
 * Store access of the remediation policy: arms, effective playbook modes and
 * the executor's recorded choices. Shared by the trainer (writer of arms and
 * modes), the executor (reader) and the API.
 */
import { and, desc, eq, inArray, like } from 'drizzle-orm';
import type { ArmRecord, AutonomyMode } from '../../models/policy/index.ts';
import { kindOfSignature } from '../../models/policy/index.ts';
import type { Db } from '../store/index.ts';
import { auditLog, type PlaybookModeRow, type PolicyDecisionRow, playbookModes, policyArms, policyDecisions } from '../store/index.ts';

/** A database or a transaction handle. */
export type DbOrTx = Db | Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * The arms the posteriors of `playbookIds` on `signature` need: the arms of
 * those playbooks on the same anomaly kind (every service, for the pooled
 * prior). Empty `playbookIds` returns nothing.
 */
export async function readArmsFor(db: DbOrTx, playbookIds: string[], signature: string): Promise<ArmRecord[]> {
  if (playbookIds.length === 0) return [];
  const rows = await db
    .select()
    .from(policyArms)
    .where(and(inArray(policyArms.playbookId, playbookIds), eq(policyArms.kind, kindOfSignature(signature))));
  return rows.map(({ signature: s, service, playbookId, successes, failures }) => ({ signature: s, service, playbookId, successes, failures }));
}

/** Every arm of a service (and, with pooling in mind, of the same playbooks elsewhere), for GET /api/v1/policy. */
export async function readArmsOfService(db: DbOrTx, service: string): Promise<{ own: ArmRecord[]; all: ArmRecord[] }> {
  const own = await db.select().from(policyArms).where(eq(policyArms.service, service));
  const ids = [...new Set(own.map((r) => r.playbookId))];
  const all = ids.length === 0 ? [] : await db.select().from(policyArms).where(inArray(policyArms.playbookId, ids));
  const strip = (r: (typeof own)[number]): ArmRecord => ({
    signature: r.signature,
    service: r.service,
    playbookId: r.playbookId,
    successes: r.successes,
    failures: r.failures,
  });
  return { own: own.map(strip), all: all.map(strip) };
}

/** The effective-mode rows of the given playbooks (those without a row run in their declared mode). */
export async function readPlaybookModes(db: DbOrTx, playbookIds: string[]): Promise<Map<string, PlaybookModeRow>> {
  if (playbookIds.length === 0) return new Map();
  const rows = await db.select().from(playbookModes).where(inArray(playbookModes.playbookId, playbookIds));
  return new Map(rows.map((r) => [r.playbookId, r]));
}

/** The effective mode of a playbook: its mode row's, else its declared mode. */
export function effectiveMode(declared: AutonomyMode, row: PlaybookModeRow | undefined): AutonomyMode {
  return (row?.mode as AutonomyMode | undefined) ?? declared;
}

/** The executor's recorded choice for an execution, if several playbooks matched. */
export async function readPolicyDecision(db: DbOrTx, executionId: string): Promise<PolicyDecisionRow | undefined> {
  return (await db.select().from(policyDecisions).where(eq(policyDecisions.executionId, executionId)))[0];
}

/** Records the executor's choice for an execution (first write wins: a re-decision keeps the original choice). */
export async function recordPolicyDecision(db: DbOrTx, row: Omit<PolicyDecisionRow, 'createdAt'>): Promise<void> {
  await db.insert(policyDecisions).values(row).onConflictDoNothing();
}

/** The mode changes of a playbook (trainer and people), newest first, at most `limit`. */
export async function readModeHistory(db: DbOrTx, playbookId: string, limit = 50) {
  return db
    .select({ at: auditLog.at, actor: auditLog.actor, action: auditLog.action, details: auditLog.details })
    .from(auditLog)
    .where(and(eq(auditLog.subjectType, 'playbook'), eq(auditLog.subjectId, playbookId), like(auditLog.action, 'playbook.mode%')))
    .orderBy(desc(auditLog.id))
    .limit(limit);
}
