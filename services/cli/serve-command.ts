/**
 * `zeroops start` and the single-service commands (`collector`, `detector`,
 * `executor`, `trainer`, `api`): starts the services in this process, prints
 * where they listen, and drains them on SIGTERM/SIGINT. Imported by main.ts
 * only for those commands, since it loads the whole service stack.
 */
import { loadConfig } from '../core/config.ts';
import { describeError } from '../core/errors.ts';
import { createLogger } from '../core/logger.ts';
import { type ServiceName, startRuntime } from './runtime.ts';

/** Runs `which` services in this process until SIGTERM/SIGINT (a second signal exits without draining). */
export async function runServices(which: readonly ServiceName[]): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, format: config.logFormat, repeatIntervalMs: config.logRepeatIntervalMs });
  const mode = config.kafkaBrokers.length > 0 || config.databaseUrl ? 'production' : 'embedded';
  const rt = await startRuntime(config, logger, which);
  logger.info({ services: which, mode, bus: rt.bus.kind, store: rt.store.kind, ...rt.addresses }, 'zeroops started');
  const lines = [
    rt.addresses.otlpGrpc && `OTLP gRPC  ${rt.addresses.otlpGrpc}`,
    rt.addresses.otlpHttp && `OTLP HTTP  ${rt.addresses.otlpHttp}`,
    rt.addresses.api && `API        ${rt.addresses.api}  (health: ${rt.addresses.api}/readyz)`,
    rt.addresses.health && `Health     ${rt.addresses.health}/healthz ${rt.addresses.health}/readyz`,
  ].filter(Boolean);
  process.stdout.write(`zeroops ${which.join(', ')} running (${mode}: bus ${rt.bus.kind}, store ${rt.store.kind})\n${lines.join('\n')}\n`);
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.warn({ sig }, 'second signal: exiting without draining');
      process.exit(1);
    }
    logger.info({ sig }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error('shutdown deadline passed; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 5_000);
    deadline.unref();
    rt.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err) => {
        logger.error({ err: describeError(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
