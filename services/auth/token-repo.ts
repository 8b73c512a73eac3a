import { randomUUID } from 'node:crypto';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { PermanentError } from '../core/errors.ts';
import { type AccessTokenRow, accessTokens, auditLog, type Db, isUniqueViolation, TOKEN_ROLES, type TokenRole } from '../store/index.ts';
import { hashToken, newToken } from './token-hash.ts';

/** A token as listed: everything but its secret (which is never stored). */
export interface TokenInfo {
  id: string;
  name: string;
  role: TokenRole;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
  revokedBy: string | null;
}

/** Token names: lower-case letters, digits, `.`, `_` and `-`, starting with a letter or digit, at most 64 characters. */
export const TOKEN_NAME_PATTERN = '^[a-z0-9][a-z0-9._-]{0,63}$';

function info(r: AccessTokenRow): TokenInfo {
  return {
    id: r.id,
    name: r.name,
    role: r.role,
    createdAt: r.createdAt.toISOString(),
    createdBy: r.createdBy,
    revokedAt: r.revokedAt?.toISOString() ?? null,
    revokedBy: r.revokedBy,
  };
}

/**
 * Creates a token with a new random secret, storing only its SHA-256, and
 * audits it (`token.create`, without the secret). Returns the token: the
 * caller shows it once. 409 `ZEROOPS_TOKEN_NAME_TAKEN` when the name was ever used.
 */
export async function createToken(db: Db, name: string, role: TokenRole, actor: string): Promise<TokenInfo & { token: string }> {
  if (!new RegExp(TOKEN_NAME_PATTERN).test(name) || !TOKEN_ROLES.includes(role)) {
    throw new PermanentError('ZEROOPS_REQUEST_INVALID', `a token needs a name matching ${TOKEN_NAME_PATTERN} and a role (${TOKEN_ROLES.join(', ')})`, {
      statusCode: 400,
    });
  }
  const token = newToken();
  try {
    const row = await db.transaction(async (tx) => {
      const [r] = await tx
        .insert(accessTokens)
        .values({ id: `tok_${randomUUID()}`, name, role, hash: hashToken(token), createdBy: actor })
        .returning();
      const created = r as AccessTokenRow;
      await tx.insert(auditLog).values({ actor, action: 'token.create', subjectType: 'token', subjectId: created.id, details: { name, role } });
      return created;
    });
    return { ...info(row), token };
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new PermanentError('ZEROOPS_TOKEN_NAME_TAKEN', `a token named "${name}" exists or existed; choose another name`, { statusCode: 409 });
    }
    throw err;
  }
}

/** Every token (revoked ones too), oldest first, without secrets. */
export async function listTokens(db: Db): Promise<TokenInfo[]> {
  return (await db.select().from(accessTokens).orderBy(asc(accessTokens.createdAt), asc(accessTokens.id))).map(info);
}

/** Revokes a token by id and audits it (`token.revoke`). 404 when no such token, 409 when already revoked. */
export async function revokeToken(db: Db, id: string, actor: string): Promise<TokenInfo> {
  return db.transaction(async (tx) => {
    const [r] = await tx
      .update(accessTokens)
      .set({ revokedAt: sql`now()` as unknown as Date, revokedBy: actor })
      .where(and(eq(accessTokens.id, id), isNull(accessTokens.revokedAt)))
      .returning();
    if (!r) {
      const [old] = await tx.select({ id: accessTokens.id }).from(accessTokens).where(eq(accessTokens.id, id));
      if (!old) throw new PermanentError('ZEROOPS_NOT_FOUND', `no token with id "${id}"; GET /api/v1/tokens lists them`, { statusCode: 404 });
      throw new PermanentError('ZEROOPS_CONFLICT', `token ${id} is already revoked`, { statusCode: 409 });
    }
    await tx.insert(auditLog).values({ actor, action: 'token.revoke', subjectType: 'token', subjectId: id, details: { name: r.name, role: r.role } });
    return info(r);
  });
}
