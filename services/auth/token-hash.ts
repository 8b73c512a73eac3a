import { createHash, randomBytes } from 'node:crypto';

/** Prefix of every token zeroops generates (helps secret scanners find leaked ones). */
export const TOKEN_PREFIX = 'zeroops_';

/** Hex SHA-256 of a token: the only form in which tokens are kept, in memory or in the store. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A new random token: {@link TOKEN_PREFIX} plus 256 random bits, base64url. The caller shows it once and keeps only its hash. */
export function newToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** The token of an `Authorization: Bearer <token>` header, or undefined when the header is absent or not a bearer header. */
export function bearerOf(authorization: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return m?.[1];
}
