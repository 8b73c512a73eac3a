/**
 * `make demo` as a user starts it, run as a child process of the acceptance
 * check: the same command (`node bin/zeroops.js demo run`, with the
 * Makefile's ZEROOPS_HTTP_ALLOWLIST), its default ports and settings, in a
 * fresh data directory (a fresh clone has none). The child gets its own
 * process group, so that stopping it also stops every replica the demo forked.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { DEFAULT_CONTROL_PORT, DEFAULT_SERVICE_BASE_PORT } from '../../../infra/demo/addresses.ts';
import { SHOP } from '../../../infra/demo/topology.ts';
import { ZEROOPS_BIN } from '../../helpers/zeroops-process.ts';

/** The ports `make demo` listens on with its defaults: API, OTLP/HTTP, OTLP/gRPC, control plane, one load balancer per shop service. */
export function demoPorts(): Array<{ port: number; what: string }> {
  return [
    { port: 8080, what: 'zeroops API (ZEROOPS_API_PORT)' },
    { port: 4318, what: 'zeroops OTLP/HTTP (ZEROOPS_OTLP_HTTP_PORT)' },
    { port: 4317, what: 'zeroops OTLP/gRPC (ZEROOPS_OTLP_GRPC_PORT)' },
    { port: DEFAULT_CONTROL_PORT, what: 'demo control plane' },
    ...SHOP.map((s, i) => ({ port: DEFAULT_SERVICE_BASE_PORT + i, what: `demo load balancer of ${s.name}` })),
  ];
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '0.0.0.0', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** The demo's default ports are held by something else. */
export class PortsTaken extends Error {}

/** Throws {@link PortsTaken}, saying what to do, when any of the demo's default ports is taken (another `make demo`, a test, a bench). */
export async function assertPortsFree(): Promise<void> {
  const taken: string[] = [];
  for (const p of demoPorts()) if (!(await portFree(p.port))) taken.push(`${p.port} (${p.what})`);
  if (taken.length === 0) return;
  throw new PortsTaken(
    `the demo's default ports are taken: ${taken.join(', ')}.\n` +
      'make demo listens on fixed ports, so nothing else may hold them while this check runs. Stop the other demo ' +
      '(Ctrl-C in its terminal) or whatever listens there (`ss -ltnp` shows the process on each port), then run this again.',
  );
}

/** A running `zeroops demo run`. */
export interface DemoProcess {
  child: ChildProcess;
  /** When the command was started, Unix ms. */
  startedMs: number;
  api: string;
  controlUrl: string;
  /** When the demo printed that it runs / that its playbooks were applied, Unix ms (undefined: not yet). */
  runningMs?: number;
  playbooksAppliedMs?: number;
  stdout(): string;
  /** Stops the demo (SIGTERM to it, its own graceful stop), then SIGKILLs its whole process group (after its exit or `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

/** The environment of the demo and of the CLI commands beside it. */
export function demoEnv(dataDir: string): NodeJS.ProcessEnv {
  return { ...process.env, ZEROOPS_DATA_DIR: dataDir, ZEROOPS_HTTP_ALLOWLIST: process.env.ZEROOPS_HTTP_ALLOWLIST ?? '127.0.0.1' };
}

function logTo(path: string | undefined): WriteStream | undefined {
  return path ? createWriteStream(path, { flags: 'a' }) : undefined;
}

/** Starts `zeroops demo run` (as `make demo` does); `logPath` receives its stdout and stderr. */
export function startDemoProcess(dataDir: string, logPath?: string): DemoProcess {
  const startedMs = Date.now();
  const child = spawn(process.execPath, [ZEROOPS_BIN, 'demo', 'run'], { env: demoEnv(dataDir), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const log = logTo(logPath);
  let out = '';
  const d: DemoProcess = {
    child,
    startedMs,
    api: '',
    controlUrl: '',
    stdout: () => out,
    stop: (graceMs = 60_000) => stopGroup(child, graceMs),
  };
  child.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
    log?.write(b);
    d.api ||= out.match(/zeroops API\s+(http:\/\/\S+)/)?.[1] ?? '';
    d.controlUrl ||= out.match(/control plane\s+(http:\/\/\S+)/)?.[1] ?? '';
    if (d.runningMs === undefined && out.includes('zeroops demo running')) d.runningMs = Date.now();
    if (d.playbooksAppliedMs === undefined && out.includes('playbooks applied')) d.playbooksAppliedMs = Date.now();
  });
  child.stderr?.on('data', (b: Buffer) => log?.write(b));
  return d;
}

/** Resolves once the demo printed its addresses; rejects when it exits first or after `timeoutMs`. */
export async function waitUntilRunning(d: DemoProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(d.runningMs && d.api && d.controlUrl)) {
    if (d.child.exitCode !== null || d.child.signalCode !== null) {
      throw new Error(`zeroops demo run exited (${d.child.exitCode ?? d.child.signalCode}) before it ran; its output:\n${d.stdout().slice(-3000)}`);
    }
    if (Date.now() > deadline) throw new Error(`zeroops demo run printed no addresses in ${timeoutMs / 1000} s; its output:\n${d.stdout().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function stopGroup(child: ChildProcess, graceMs: number): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  // The demo's own stop (SIGTERM to it alone) stops its replicas and zeroops in order.
  child.kill('SIGTERM');
  const timer = new Promise<void>((r) => setTimeout(r, graceMs).unref());
  await Promise.race([exited, timer]);
  // Whatever the graceful stop left behind (a replica stuck in a fault) goes with the group.
  signalGroup(pid, 'SIGKILL');
}

/** Signals the demo's whole process group; a group already gone is fine. */
export function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
