import { eq, gte, lte, type SQL } from 'drizzle-orm';
import { type AuditLogRow, auditLog, type Db } from '../../store/index.ts';
import { type Keyset, type Page, type PageRequest, selectPage } from './page.ts';

/** Filters of {@link listAudit}; every one optional. Times are RFC 3339 strings. */
export interface AuditFilter extends PageRequest {
  actor?: string;
  action?: string;
  subjectType?: string;
  subjectId?: string;
  since?: string;
  until?: string;
}

/** One audit entry as the API returns it. */
export interface AuditJson {
  id: number;
  at: string;
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string;
  details: Record<string, unknown>;
}

const keyset: Keyset = { kind: 'audit', time: auditLog.at, id: auditLog.id, idKey: 'id' };

/** Audit entries matching `f`, newest first, one page at a time. */
export async function listAudit(db: Db, f: AuditFilter): Promise<Page<AuditJson>> {
  const where: (SQL | undefined)[] = [];
  if (f.actor) where.push(eq(auditLog.actor, f.actor));
  if (f.action) where.push(eq(auditLog.action, f.action));
  if (f.subjectType) where.push(eq(auditLog.subjectType, f.subjectType));
  if (f.subjectId) where.push(eq(auditLog.subjectId, f.subjectId));
  if (f.since) where.push(gte(auditLog.at, new Date(f.since)));
  if (f.until) where.push(lte(auditLog.at, new Date(f.until)));
  return selectPage(db, auditLog, keyset, f, where, (r: AuditLogRow) => ({ ...r, at: r.at.toISOString() }));
}
