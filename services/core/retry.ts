import { isRetryable } from './errors.ts';

/** An explicit retry policy: data, not code. */
export interface RetryPolicy {
  /** Total attempts including the first (>= 1). */
  maxAttempts: number;
  /** Delay before the second attempt, in milliseconds. */
  initialDelayMs: number;
  /** Multiplier applied to the delay after each attempt. */
  backoff: number;
  /** Upper bound of a single delay, in milliseconds. */
  maxDelayMs: number;
}

/** A conservative default: 3 attempts, 200 ms then 400 ms. */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, initialDelayMs: 200, backoff: 2, maxDelayMs: 5_000 };

/** Pure retry decision: whether attempt `attempt` (1-based) that failed with `err` is followed by another, and after how long. */
export function nextRetry(policy: RetryPolicy, attempt: number, err: unknown): { retry: true; delayMs: number } | { retry: false } {
  if (attempt >= policy.maxAttempts || !isRetryable(err)) return { retry: false };
  const delayMs = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.backoff ** (attempt - 1));
  return { retry: true, delayMs };
}

/** Resolves after `ms` milliseconds, or early (rejecting) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs `fn` under `policy`, retrying only retryable errors. */
export async function withRetry<T>(policy: RetryPolicy, fn: (attempt: number) => Promise<T>, signal?: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const d = nextRetry(policy, attempt, err);
      if (!d.retry) throw err;
      await sleep(d.delayMs, signal);
    }
  }
}
