/**
 * Routes kafkajs' own logs into the zeroops pino logger. kafkajs is noisy:
 * only warnings and errors reach us, and a few messages that describe normal
 * operation (a rebalance, our deliberate retry limit) are lowered to debug.
 */
import type { Logger } from 'pino';
import { type LogEntry, type logCreator, logLevel } from './kafkajs.ts';

/** kafkajs messages that are expected in normal operation, logged at debug. */
const ROUTINE = [
  'The group is rebalancing, re-joining',
  // We bound retries on purpose so that a dead broker surfaces within seconds.
  'Limiting retries for the idempotent producer',
];

/** A kafkajs `logCreator` writing to `logger` (a child with `component: 'kafkajs'`). */
export function kafkaLogCreator(logger: Logger): logCreator {
  const log = logger.child({ component: 'kafkajs' });
  return () => (entry: LogEntry) => {
    const { message, timestamp: _timestamp, logger: _logger, ...extra } = entry.log as Record<string, unknown> & { message: string };
    const fields = { namespace: entry.namespace, ...extra };
    // kafkajs' Connection logs every error response (rebalance in progress, coordinator loading, ...) at
    // error level; the layer above retries or hands the error to us, and we log what matters.
    // A consumer crash is recovered by our subscription (which rebuilds the consumer and logs that at warn).
    const routine =
      ROUTINE.some((r) => message.startsWith(r)) ||
      (entry.namespace === 'Connection' && message.startsWith('Response ')) ||
      (entry.namespace === 'Consumer' && message.startsWith('Crash'));
    if (routine) {
      log.debug(fields, message);
      return;
    }
    if (entry.level === logLevel.ERROR) log.error(fields, message);
    else if (entry.level === logLevel.WARN) log.warn(fields, message);
    else if (entry.level === logLevel.INFO) log.info(fields, message);
    else log.debug(fields, message);
  };
}

/** The kafkajs level matching the level we let through (warn). */
export const KAFKA_LOG_LEVEL = logLevel.WARN;
