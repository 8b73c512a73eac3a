import { type DestinationStream, type Logger, pino } from 'pino';
import { logRateLimit } from './log-limiter.ts';
import { prettyDestination } from './log-pretty.ts';

export type { Logger } from 'pino';

/** Paths whose values are never written to logs. */
export const REDACT_PATHS = [
  'password',
  'token',
  'secret',
  'authorization',
  '*.password',
  '*.token',
  '*.secret',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
];

/** `pretty` (one readable line per record), `json` (one JSON object per line), or `auto`: pretty when stdout is a terminal. */
export type LogFormat = 'auto' | 'pretty' | 'json';

/** Options of {@link createLogger}. */
export interface LoggerSettings {
  level?: string;
  name?: string;
  /** Default `json` (`auto` is what the CLI passes by default). */
  format?: LogFormat;
  /** One warn/error line per kind per this many ms while it repeats (default 0: no limit); see log-limiter.ts. */
  repeatIntervalMs?: number;
  /** Where lines go (default stdout); `format` applies to it. */
  destination?: { write(s: string): unknown };
  /** Clock for the rate limit (tests). */
  now?: () => number;
}

/**
 * Creates the root logger. One pino logger per process; components take
 * `logger.child({ component })`.
 */
export function createLogger(opts: LoggerSettings = {}): Logger {
  const format = opts.format ?? 'json';
  const pretty = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
  const out = opts.destination ?? process.stdout;
  // Colors only on a terminal: `pretty` into a file or pipe stays plain text.
  const color = opts.destination === undefined && process.stdout.isTTY === true;
  const destination: DestinationStream = pretty ? prettyDestination(out, color) : (out as DestinationStream);
  const options = {
    name: opts.name ?? 'zeroops',
    level: opts.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    hooks: { logMethod: logRateLimit({ intervalMs: opts.repeatIntervalMs ?? 0, now: opts.now }) },
  };
  // Without a destination pino writes to stdout through its own fast stream.
  return opts.destination === undefined && !pretty ? pino(options) : pino(options, destination);
}

/** A logger that writes nothing (tests that do not inspect logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
