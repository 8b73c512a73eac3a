/**
 * Error kinds shared by every zeroops component.
 *
 * A {@link PermanentError} is bad input or bad configuration: retrying cannot
 * help, so it is answered with a 4xx or sent to a dead-letter topic. A
 * {@link RetryableError} is transient (network, 5xx, lock, broker down).
 */
export class ZeroopsError extends Error {
  /** Stable machine-readable code, e.g. `ZEROOPS_PLAYBOOK_INVALID`. */
  readonly code: string;
  /** HTTP status the API answers with when this error reaches a client. */
  readonly statusCode: number;
  /** Optional structured details (for example a list of validation problems). */
  readonly details?: unknown;

  constructor(code: string, message: string, opts: { statusCode?: number; cause?: unknown; details?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.statusCode = opts.statusCode ?? 500;
    this.details = opts.details;
  }
}

/** Bad input or configuration: never retried. Defaults to HTTP 400. */
export class PermanentError extends ZeroopsError {
  constructor(code: string, message: string, opts: { statusCode?: number; cause?: unknown; details?: unknown } = {}) {
    super(code, message, { statusCode: 400, ...opts });
  }
}

/** Transient failure: may be retried. Defaults to HTTP 503. */
export class RetryableError extends ZeroopsError {
  /** Suggested delay before a retry, in milliseconds. */
  readonly retryAfterMs?: number;

  constructor(code: string, message: string, opts: { statusCode?: number; cause?: unknown; details?: unknown; retryAfterMs?: number } = {}) {
    super(code, message, { statusCode: 503, ...opts });
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** True when `err` may be retried (a {@link RetryableError}, or an error marked `retriable`). */
export function isRetryable(err: unknown): boolean {
  if (err instanceof RetryableError) return true;
  if (err instanceof PermanentError) return false;
  return typeof err === 'object' && err !== null && (err as { retriable?: unknown }).retriable === true;
}

/** Longest part (one error's message in a cause chain) {@link describeError} keeps, in characters. */
export const MAX_ERROR_PART_CHARS = 600;

function clip(s: string): string {
  return s.length <= MAX_ERROR_PART_CHARS ? s : `${s.slice(0, MAX_ERROR_PART_CHARS)}... (${s.length - MAX_ERROR_PART_CHARS} more characters)`;
}

/**
 * A readable one-line description of any thrown value, following `cause`
 * chains (at most 5 deep). Each message is cut to
 * {@link MAX_ERROR_PART_CHARS}: a failed multi-row statement's message holds
 * its whole SQL and parameters, which must never become a log line.
 */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 5; depth++) {
    if (cur instanceof Error) {
      parts.push(clip(cur.message));
      cur = (cur as { cause?: unknown }).cause;
    } else {
      parts.push(clip(String(cur)));
      break;
    }
  }
  return parts.filter((p, i) => p && parts.indexOf(p) === i).join(': ');
}
