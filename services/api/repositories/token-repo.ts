import { and, eq, getTableColumns, isNotNull, isNull, type SQL } from 'drizzle-orm';
import { accessTokens, type Db, type TokenRole } from '../../store/index.ts';
import { afterCursor, cursorTime, type Keyset, keysetOrder, type Page, type PageRequest, toPage } from './page.ts';

/** Filters of {@link listTokenPage}. */
export interface TokenFilter extends PageRequest {
  role?: string;
  /** true: only revoked tokens; false: only tokens still valid. */
  revoked?: boolean;
}

/** A token as the API lists it: never its secret nor its hash. */
export interface TokenJson {
  id: string;
  name: string;
  role: string;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
  revokedBy: string | null;
}

const keyset: Keyset = { kind: 'tokens', time: accessTokens.createdAt, id: accessTokens.id, idKey: 'id' };

/** Tokens (revoked ones too unless filtered), newest first, one page at a time, without secrets. */
export async function listTokenPage(db: Db, f: TokenFilter): Promise<Page<TokenJson>> {
  const where: (SQL | undefined)[] = [afterCursor(keyset, f.cursor)];
  if (f.role) where.push(eq(accessTokens.role, f.role as TokenRole));
  if (f.revoked !== undefined) where.push(f.revoked ? isNotNull(accessTokens.revokedAt) : isNull(accessTokens.revokedAt));
  const { hash: _secret, ...columns } = getTableColumns(accessTokens);
  const rows = await db
    .select({ ...columns, cursorT: cursorTime(keyset) })
    .from(accessTokens)
    .where(and(...where))
    .orderBy(...keysetOrder(keyset))
    .limit(f.limit + 1);
  return toPage(
    keyset,
    rows,
    f.limit,
    (r) => r.id,
    (r) => ({
      id: r.id,
      name: r.name,
      role: r.role,
      createdAt: r.createdAt.toISOString(),
      createdBy: r.createdBy,
      revokedAt: r.revokedAt ? r.revokedAt.toISOString() : null,
      revokedBy: r.revokedBy,
    }),
  );
}
