import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig, SETTINGS } from '../core/config.ts';
import { describeError, ZeroopsError } from '../core/errors.ts';
import { createLogger } from '../core/logger.ts';
import { SERVICE_NAMES, type ServiceName, startRuntime } from './runtime.ts';

const USAGE = `zeroops: OpenTelemetry in, anomalies detected, playbooks run, fixes verified.

Usage: zeroops <command> [options]

Commands:
  start                 run every service in one process (embedded by default)
  collector             OTLP receivers (gRPC :4317, HTTP :4318) -> bus
  detector              telemetry topics -> anomalies
  executor              anomalies -> playbooks -> outcomes
  trainer               outcomes -> remediation policy and playbook autonomy
  api                   REST API, web UI, /healthz, /readyz (:8080)
  detect --input <file|dir> --output <file|dir>
                        score CSV series (timestamp,value) with the anomaly model
                        (zeroops detect --help for the output and options)
  settings [--markdown] list every setting with its default
  demo run|services|fault|clear
                        the proving ground: run it (make demo), list its services,
                        inject or clear faults (zeroops demo help)
  help                  this text

Embedded mode (default): in-process bus, PGlite in ZEROOPS_DATA_DIR.
Production mode: set KAFKA_BROKERS and DATABASE_URL.
`;

function printSettings(args: string[]): void {
  if (args.includes('--markdown')) {
    process.stdout.write('| variable | file key | default | meaning |\n|---|---|---|---|\n');
    for (const s of SETTINGS) process.stdout.write(`| \`${s.env}\` | \`${s.key}\` | \`${JSON.stringify(s.default)}\` | ${s.description} |\n`);
    return;
  }
  for (const s of SETTINGS) process.stdout.write(`${s.env.padEnd(38)} ${JSON.stringify(s.default).padEnd(14)} ${s.description}\n`);
}

async function runServices(which: readonly ServiceName[]): Promise<void> {
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

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'start':
      return runServices(SERVICE_NAMES);
    case 'collector':
    case 'detector':
    case 'executor':
    case 'trainer':
    case 'api':
      return runServices([cmd]);
    case 'detect': {
      const { runDetectCommand } = await import('./detect-command.ts');
      return runDetectCommand(rest);
    }
    case 'settings':
      return printSettings(rest);
    case 'demo': {
      // The proving ground runs its services from the sources in infra/demo, which the npm package does not ship.
      if (!existsSync(fileURLToPath(new URL('../../infra/demo/', import.meta.url)))) {
        const msg =
          'demo runs the proving ground from a source checkout (infra/demo), which the npm package does not include; clone the repository and run `make demo`';
        throw new ZeroopsError('ZEROOPS_DEMO_UNAVAILABLE', msg, { statusCode: 400 });
      }
      const { runDemoCommand } = await import('./demo-command.ts');
      return runDemoCommand(rest);
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return;
    default:
      throw new ZeroopsError('ZEROOPS_USAGE', `unknown command "${cmd}"\n\n${USAGE}`, { statusCode: 400 });
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const code = err instanceof ZeroopsError ? err.code : 'ZEROOPS_FATAL';
  process.stderr.write(`zeroops: ${code}: ${describeError(err)}\n`);
  process.exit(err instanceof ZeroopsError && err.code === 'ZEROOPS_USAGE' ? 2 : 1);
});
