/**
 * `zeroops demo ...`: run the proving ground (`demo run`, what `make demo`
 * starts) and talk to its control plane (`services`, `fault`, `clear`). The
 * control plane is found through the state file it writes in the data
 * directory, else on its default port; `--url` overrides both.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_CONTROL_PORT, stateFile } from '../../infra/demo/addresses.ts';
import { FAULT_INFO, FAULT_KINDS, isFaultKind } from '../../infra/demo/fault-kinds.ts';
import { loadConfig } from '../core/config.ts';
import { ZeroopsError } from '../core/errors.ts';

/** Usage of `zeroops demo`. */
export const DEMO_USAGE = `Usage: zeroops demo <command> [options]

  run [--rps N] [--day-minutes M] [--week on|off] [--services a,b,...] [--surge-every M --surge-service S --surge-magnitude X --surge-at M --surge-minutes D]
                      start zeroops (embedded), the demo shop, its load generator and
                      playbooks in this process (what make demo runs); Ctrl-C stops it;
                      --week off: every day the same (default on: a compressed week)
  services            list the demo's services, replicas and versions
  fault <service> <kind> [--magnitude M] [--duration S]
                      inject a fault; kind: ${FAULT_KINDS.join(', ')}
  clear [<service>]   end injected faults (of one service, or all)

Options: --url <control plane URL> (default: from the state file in ZEROOPS_DATA_DIR,
else http://127.0.0.1:${DEFAULT_CONTROL_PORT})
`;

const usage = (msg: string) => new ZeroopsError('ZEROOPS_USAGE', `demo: ${msg}\n\n${DEMO_USAGE}`, { statusCode: 400 });

/** The control plane's base URL: `--url`, else the state file, else the default port. */
export function findControlPlane(explicit: string | undefined, dataDir: string): string {
  if (explicit) return explicit.replace(/\/$/, '');
  const file = stateFile(dataDir);
  if (existsSync(file)) {
    const state = JSON.parse(readFileSync(file, 'utf8')) as { url?: unknown };
    if (typeof state.url === 'string') return state.url;
  }
  return `http://127.0.0.1:${DEFAULT_CONTROL_PORT}`;
}

async function call(base: string, method: string, path: string, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ZeroopsError('ZEROOPS_DEMO_UNREACHABLE', `no demo control plane answers at ${base} (${(err as Error).message}); start the demo with make demo`, {
      cause: err,
    });
  }
  const out = (await res.json()) as { error?: { code: string; message: string } };
  if (!res.ok) throw new ZeroopsError(out.error?.code ?? 'ZEROOPS_DEMO_REFUSED', out.error?.message ?? `HTTP ${res.status}`, { statusCode: res.status });
  return out;
}

type ServiceRow = { name: string; url: string; version: string; replicas: Array<{ pid?: number }>; restarts: number; crashes: number };
type FaultRow = { id: string; service: string; kind: string; magnitude: number; state: string; fix: string; plannedEndAt: string; endedBy?: string };

function printServices(r: { services: ServiceRow[]; flags: Record<string, boolean> }, faults: FaultRow[]): void {
  const out = [`${'service'.padEnd(13)} ${'version'.padEnd(8)} replicas  restarts crashes  url                     active faults`];
  for (const s of r.services) {
    const active = faults.filter((f) => f.service === s.name && f.state === 'active').map((f) => f.kind);
    out.push(
      `${s.name.padEnd(13)} ${s.version.padEnd(8)} ${String(s.replicas.length).padEnd(9)} ${String(s.restarts).padEnd(8)} ${String(s.crashes).padEnd(8)} ${s.url.padEnd(23)} ${active.join(', ') || '-'}`,
    );
  }
  out.push(
    `flags: ${Object.entries(r.flags)
      .map(([k, v]) => `${k}=${v ? 'on' : 'off'}`)
      .join(', ')}`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
}

/** Runs `zeroops demo <args>`. */
export async function runDemoCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === 'run') {
    const { runDemo } = await import('../../infra/demo/run-demo.ts');
    return runDemo(rest);
  }
  let parsed: ReturnType<typeof parseDemoArgs>;
  try {
    parsed = parseDemoArgs(rest);
  } catch (err) {
    throw usage((err as Error).message);
  }
  const { values, positionals } = parsed;
  const base = findControlPlane(values.url, loadConfig().dataDir);
  switch (sub) {
    case 'services': {
      const faults = ((await call(base, 'GET', '/faults')) as { faults: FaultRow[] }).faults;
      return printServices((await call(base, 'GET', '/services')) as { services: ServiceRow[]; flags: Record<string, boolean> }, faults);
    }
    case 'fault':
      return injectFault(base, positionals, values);
    case 'clear': {
      const q = positionals[0] ? `?service=${encodeURIComponent(positionals[0])}` : '';
      const r = (await call(base, 'DELETE', `/faults${q}`)) as { cleared: string[] };
      process.stdout.write(r.cleared.length ? `cleared ${r.cleared.join(', ')}\n` : 'no active fault to clear\n');
      return;
    }
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(DEMO_USAGE);
      return;
    default:
      throw usage(`unknown command "${sub}"`);
  }
}

function parseDemoArgs(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: { url: { type: 'string' }, magnitude: { type: 'string' }, duration: { type: 'string' } },
  });
}

async function injectFault(base: string, positionals: string[], values: { magnitude?: string; duration?: string }): Promise<void> {
  const [service, kind] = positionals;
  if (!service || !kind) throw usage('fault needs <service> <kind>');
  if (!isFaultKind(kind)) throw usage(`kind must be one of ${FAULT_KINDS.join(', ')}, got "${kind}"`);
  const magnitude = values.magnitude === undefined ? undefined : Number(values.magnitude);
  const durationSeconds = values.duration === undefined ? undefined : Number(values.duration);
  if (magnitude !== undefined && !Number.isFinite(magnitude)) throw usage(`--magnitude must be a number (${FAULT_INFO[kind].unit})`);
  if (durationSeconds !== undefined && !(durationSeconds > 0)) throw usage('--duration must be a positive number of seconds');
  const f = (await call(base, 'POST', '/faults', { service, kind, magnitude, durationSeconds })) as FaultRow;
  process.stdout.write(
    `injected ${f.id}: ${kind} on ${service}, magnitude ${f.magnitude} (${FAULT_INFO[kind].unit}) until ${f.plannedEndAt}; fixed by: ${f.fix === 'none' ? 'no operation (zeroops should escalate)' : f.fix}\n`,
  );
}
