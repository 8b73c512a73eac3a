import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
// Each command imports what it needs when it runs: the service stack (fastify, drizzle, kafkajs, tfjs,
// OpenTelemetry, the Kubernetes client) takes seconds to load, and `--help` or `demo fault` need none of it.
import { describeError, ZeroopsError } from '../core/errors.ts';

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

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'start':
    case 'collector':
    case 'detector':
    case 'executor':
    case 'trainer':
    case 'api': {
      const [{ runServices }, { SERVICE_NAMES }] = await Promise.all([import('./serve-command.ts'), import('./runtime.ts')]);
      return runServices(cmd === 'start' ? SERVICE_NAMES : [cmd]);
    }
    case 'detect': {
      const { runDetectCommand } = await import('./detect-command.ts');
      return runDetectCommand(rest);
    }
    case 'settings': {
      const { printSettings } = await import('./settings-command.ts');
      return printSettings(rest);
    }
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
