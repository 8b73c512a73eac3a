/**
 * `zeroops demo run` (what `make demo` starts): zeroops in embedded mode on
 * its default ports, the demo shop exporting to it, the load generator and
 * the demo playbooks, in one command; prints where to look and stops
 * everything on Ctrl-C.
 */
import { parseArgs } from 'node:util';
import { SERVICE_NAMES, startRuntime } from '../../services/cli/runtime.ts';
import { loadConfig } from '../../services/core/config.ts';
import { describeError } from '../../services/core/errors.ts';
import { createLogger } from '../../services/core/logger.ts';
import { DEFAULT_CONTROL_PORT, DEFAULT_SERVICE_BASE_PORT } from './addresses.ts';
import { startDemo } from './demo-system.ts';
import { DEFAULT_WEEK, type RecurringSurge, type WeekRhythm } from './load-generator.ts';
import { applyDemoPlaybooks } from './playbook-bundle.ts';
import { demoWarmup, schedulePlaybooks } from './playbook-schedule.ts';

const clockOf = (ms: number) => new Date(ms).toISOString().slice(11, 19);

function options(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      rps: { type: 'string', default: '12' },
      'day-minutes': { type: 'string', default: '60' },
      week: { type: 'string', default: 'on' },
      services: { type: 'string', default: '' },
      'control-port': { type: 'string', default: String(DEFAULT_CONTROL_PORT) },
      'service-port': { type: 'string', default: String(DEFAULT_SERVICE_BASE_PORT) },
      'warmup-minutes': { type: 'string', default: '5' },
      'surge-every': { type: 'string', default: '0' },
      'surge-service': { type: 'string', default: 'cart' },
      'surge-magnitude': { type: 'string', default: '4' },
      'surge-at': { type: 'string', default: '' },
      'surge-minutes': { type: 'string', default: '5' },
    },
  });
  const num = (name: string, v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got "${v}"`);
    return n;
  };
  return {
    rps: num('rps', values.rps),
    dayMinutes: num('day-minutes', values['day-minutes']),
    services: values.services ? values.services.split(',').map((s) => s.trim()) : [],
    controlPort: num('control-port', values['control-port']),
    servicePort: num('service-port', values['service-port']),
    warmupMinutes: num('warmup-minutes', values['warmup-minutes']),
    week: weekOption(values.week),
    recurringSurge: recurringSurgeOption(values, num),
  };
}

/** `--week on` (the default): the compressed week of {@link DEFAULT_WEEK}, its growth from now; `--week off`: every day the same. */
export function weekOption(v: string): WeekRhythm | undefined {
  if (v === 'off') return undefined;
  if (v !== 'on') throw new Error(`--week must be on or off, got "${v}"`);
  return { ...DEFAULT_WEEK, since: Date.now() };
}

/**
 * `--surge-every M` (minutes; 0: none): a surge of `--surge-magnitude` times
 * the load on `--surge-service` for `--surge-minutes`, starting at minute
 * `--surge-at` of every period (default: the middle of it).
 */
function recurringSurgeOption(values: Record<string, string | boolean | undefined>, num: (name: string, v: string) => number): RecurringSurge | undefined {
  const every = num('surge-every', String(values['surge-every']));
  if (every === 0) return undefined;
  const durationMinutes = num('surge-minutes', String(values['surge-minutes']));
  const atMinute = values['surge-at'] ? num('surge-at', String(values['surge-at'])) : every / 2;
  if (durationMinutes <= 0 || durationMinutes >= every) throw new Error(`--surge-minutes must be above 0 and below --surge-every (${every})`);
  const magnitude = num('surge-magnitude', String(values['surge-magnitude']));
  if (magnitude <= 1) throw new Error(`--surge-magnitude must be above 1, got ${magnitude}`);
  return { service: String(values['surge-service']), magnitude, everyMinutes: every, atMinute, durationMinutes };
}

/** Runs the demo until SIGINT/SIGTERM. */
export async function runDemo(args: string[]): Promise<void> {
  const opts = options(args);
  const base = loadConfig();
  // The playbooks' http steps call the control plane on loopback.
  const config = loadConfig(undefined, { httpAllowlist: [...new Set([...base.httpAllowlist, '127.0.0.1'])], ...demoWarmup(process.env, base.windowSeconds) });
  const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel });
  process.stdout.write('starting zeroops (embedded) ...\n');
  const rt = await startRuntime(config, logger, SERVICE_NAMES);
  const api = rt.addresses.api as string;
  const otlp = rt.addresses.otlpHttp as string;
  process.stdout.write(`starting the demo shop (${opts.services.length || 'all'} services; a few seconds per process) ...\n`);
  const demo = await startDemo({
    dataDir: config.dataDir,
    otlpEndpoint: otlp,
    services: opts.services,
    controlPort: opts.controlPort,
    serviceBasePort: opts.servicePort,
    rps: opts.rps,
    dayMinutes: opts.dayMinutes,
    week: opts.week,
    recurringSurge: opts.recurringSurge,
  }).catch(async (err: unknown) => {
    await rt.stop();
    throw err;
  });
  const token = config.apiTokens.find((t) => t.startsWith('admin:') || t.startsWith('operator:'))?.split(':')[1];
  // The warm-up counts from the command's start (performance.timeOrigin: the process's start), not from the shop's.
  const commandStartMs = performance.timeOrigin;
  const applyFrom = commandStartMs + opts.warmupMinutes * 60_000;
  const apply = () =>
    applyDemoPlaybooks(api, demo.controlUrl, token).then(
      (r) => {
        const at = Date.now();
        const names = [...r.created, ...r.updated, ...r.unchanged].join(', ');
        process.stdout.write(
          `playbooks applied at ${clockOf(at)} UTC (${Math.round((at - commandStartMs) / 1000)} s after the command): ${names}; inject faults now\n`,
        );
      },
      (err: unknown) => {
        process.stderr.write(`zeroops demo: ${describeError(err)}\n`);
      },
    );
  const schedule = schedulePlaybooks({
    api,
    token,
    services: demo.supervisor.names(),
    commandStartMs,
    warmupMinutes: opts.warmupMinutes,
    serviceWarmupMs: config.serviceWarmupSeconds * 1000,
    apply,
    print: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(
    [
      '',
      'zeroops demo running',
      `  zeroops API     ${api}   anomalies: ${api}/api/v1/anomalies  executions: ${api}/api/v1/executions`,
      `  OTLP/HTTP       ${otlp}`,
      `  control plane   ${demo.controlUrl}   GET /services  GET /faults  GET /notifications (escalations)`,
      `  shop frontend   ${demo.supervisor.url(demo.supervisor.names()[0] as string)}`,
      `  ground truth    ${demo.groundTruthPath}`,
      `  playbooks       infra/demo/playbooks/*.yaml, applied at ${clockOf(applyFrom)} UTC (${opts.warmupMinutes} min after the command started),`,
      `                  or later if a service is not ${config.serviceWarmupSeconds} s past its first telemetry by then (the detector's warm-up)`,
      `  load            ${opts.rps} req/s at the frontend on average, one simulated day every ${opts.dayMinutes} min${
        opts.week ? `, in weeks of ${7 * opts.dayMinutes} min (weekends lower, busy and quiet days, 1 % growth a week; --week off: every day the same)` : ''
      }`,
      ...(opts.recurringSurge
        ? [
            `  surge           ${opts.recurringSurge.magnitude}x on ${opts.recurringSurge.service} for ${opts.recurringSurge.durationMinutes} min at minute ${opts.recurringSurge.atMinute} of every ${opts.recurringSurge.everyMinutes} min`,
          ]
        : []),
      '',
      'Once the playbooks are applied, try:',
      '  npx zeroops demo services',
      '  npx zeroops demo fault checkout bad-deploy --duration 300',
      '  npx zeroops demo clear',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
  let signals = 0;
  const stop = (sig: NodeJS.Signals) => {
    if (++signals > 1) process.exit(1);
    logger.warn({ sig }, 'stopping the demo');
    schedule.stop();
    Promise.allSettled([demo.stop()])
      .then(() => rt.stop())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          process.stderr.write(`zeroops demo: stopping failed: ${describeError(err)}\n`);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
