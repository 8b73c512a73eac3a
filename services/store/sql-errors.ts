/**
 * Helpers to recognise database errors the same way on both drivers. drizzle
 * wraps driver errors (`DrizzleQueryError`) with the driver's error as
 * `cause`; node-postgres and PGlite both expose the SQLSTATE as `code`.
 */

/** SQLSTATE codes zeroops code branches on. */
export const SQLSTATE = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  notNullViolation: '23502',
  /** Raised by the audit_log append-only trigger. */
  insufficientPrivilege: '42501',
} as const;

/** The SQLSTATE of `err` or of the first error in its `cause` chain that has one; `undefined` if none. */
export function sqlStateOf(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && typeof cur === 'object' && cur !== null; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True when `err` is a unique or primary-key violation (SQLSTATE 23505). */
export function isUniqueViolation(err: unknown): boolean {
  return sqlStateOf(err) === SQLSTATE.uniqueViolation;
}
