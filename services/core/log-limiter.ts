/**
 * Rate limit of repeated log lines: while a dependency (Kafka broker,
 * Postgres) is down, the same warning or error comes back many times a
 * second. One line per kind (level, component and message) passes per
 * interval; the repeats in between are counted, and the next line of that
 * kind carries `suppressed` (how many were left out since the last one
 * written). Lines below warn are never limited.
 */
import type { Logger, LoggerOptions } from 'pino';

/** Options of {@link logRateLimit}. */
export interface LogRateLimitOptions {
  /** Interval in ms in which one line of each kind is written (0 disables the limit). */
  intervalMs: number;
  /** Clock in ms (default Date.now); tests pass their own. */
  now?: () => number;
  /** Kinds remembered at most (default 1000); the oldest are forgotten first. */
  maxKinds?: number;
}

interface Kind {
  /** When the last line of this kind was written, in ms. */
  writtenAt: number;
  /** Lines of this kind left out since then. */
  suppressed: number;
}

/** pino's numeric level of `warn`: lines at or above it are limited. */
const WARN = 40;

function kindOf(logger: Logger, args: unknown[], level: number): string {
  const first = args[0];
  const msg = typeof first === 'string' ? first : args[1];
  const component = (logger.bindings() as { component?: unknown }).component;
  return `${level}\u0000${String(component ?? '')}\u0000${String(msg ?? '')}`;
}

/** Adds `suppressed: n` to a pino call's arguments (merged into its object, or as a new first argument). */
function withSuppressed(args: unknown[], n: number): unknown[] {
  const first = args[0];
  if (first !== null && typeof first === 'object' && !(first instanceof Error)) return [{ ...first, suppressed: n }, ...args.slice(1)];
  if (first instanceof Error) return [{ err: first, suppressed: n }, ...args.slice(1)];
  return [{ suppressed: n }, ...args];
}

/**
 * A pino `hooks.logMethod` that writes one line per kind per interval and
 * counts the rest (see the module comment). The state is per root logger and
 * shared by its children.
 */
export function logRateLimit(opts: LogRateLimitOptions): NonNullable<LoggerOptions['hooks']>['logMethod'] {
  const now = opts.now ?? Date.now;
  const maxKinds = opts.maxKinds ?? 1000;
  const kinds = new Map<string, Kind>();
  return function logMethod(this: Logger, args, method, level) {
    if (opts.intervalMs <= 0 || level < WARN) return method.apply(this, args);
    const key = kindOf(this, args, level);
    const t = now();
    const kind = kinds.get(key);
    if (kind && t - kind.writtenAt < opts.intervalMs) {
      kind.suppressed++;
      return;
    }
    const suppressed = kind?.suppressed ?? 0;
    // Re-inserted so that the map's order is by last write: the first key is the stalest.
    kinds.delete(key);
    kinds.set(key, { writtenAt: t, suppressed: 0 });
    if (kinds.size > maxKinds) kinds.delete(kinds.keys().next().value as string);
    const out = suppressed > 0 ? withSuppressed(args, suppressed) : args;
    return method.apply(this, out as Parameters<typeof method>);
  };
}
