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

/** Driver error codes of a connection that could not be opened or was lost. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'EPIPE']);
/**
 * SQLSTATEs that mean "the database cannot serve now", not "this statement is
 * wrong": class 08 (connection exception), admin/crash shutdown, cannot
 * connect now, too many connections, and 57014 query_canceled, which is
 * what statement_timeout raises.
 */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300', '57014']);
/** node-postgres and pg-pool raise these without a code. */
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|connection error|Cannot use a pool after calling end|Client was closed/i;

/**
 * True when `err` (or an error in its `cause` chain) says the database is
 * unreachable, lost the connection, or did not answer in time (statement or
 * query timeout), as opposed to rejecting the statement itself. Callers
 * answer such errors as "store unavailable" (HTTP 503) and may retry.
 */
export function isStoreUnavailable(err: unknown): boolean {
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && typeof cur === 'object' && cur !== null; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('08') || UNAVAILABLE_STATES.has(code))) return true;
    const message = (cur as { message?: unknown }).message;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}
