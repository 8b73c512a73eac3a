/**
 * One replica of a demo service: a child Node process running
 * service/service-main.ts, started with a heap limit (so a memory leak ends
 * in a real out-of-memory death) and talked to over IPC.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromProcess, ServiceProcessConfig, ToProcess } from './service/protocol.ts';

const MAIN = fileURLToPath(new URL('./service/service-main.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Heap limit of a replica, in MB. */
export const REPLICA_HEAP_MB = 160;
const READY_TIMEOUT_MS = 120_000;
const STOP_GRACE_MS = 4_000;

/** A running (or starting, or exited) replica process. */
export interface Replica {
  readonly id: string;
  readonly version: string;
  readonly startedAt: number;
  readonly child: ChildProcess;
  /** The port it serves on, once ready. */
  port?: number;
  /** True once the supervisor asked it to stop (its exit is then no crash). */
  stopping: boolean;
  /** Resolves with the port once it is ready; rejects when it exits first or takes too long. */
  ready: Promise<number>;
  /** Resolves with the exit code or signal once the process is gone. */
  exited: Promise<number | string>;
  /** The last lines it wrote on stderr (for a crash report). */
  stderrTail(): string;
  send(msg: ToProcess): void;
  /** SIGTERM, then SIGKILL after a grace period; resolves once it is gone. */
  stop(): Promise<void>;
}

/** Forks a replica with `cfg`; `onMessage` receives what it reports after start-up. */
export function spawnReplica(cfg: ServiceProcessConfig, onMessage: (msg: FromProcess) => void): Replica {
  const child = fork(MAIN, [JSON.stringify(cfg)], {
    cwd: REPO_ROOT,
    execArgv: ['--import', 'tsx', `--max-old-space-size=${REPLICA_HEAP_MB}`],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let tail = '';
  child.stderr?.on('data', (d: Buffer) => {
    tail = (tail + d.toString()).slice(-2_000);
  });
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, sig) => resolve(code ?? sig ?? 'unknown')));
  const replica: Replica = {
    id: cfg.instanceId,
    version: cfg.version,
    startedAt: Date.now(),
    child,
    stopping: false,
    exited,
    ready: new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${cfg.instanceId} was not ready within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      child.on('message', (raw) => {
        const msg = raw as FromProcess;
        if (msg.type === 'ready') {
          clearTimeout(timer);
          replica.port = msg.port;
          resolve(msg.port);
        } else onMessage(msg);
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${cfg.instanceId} exited (${code}) before it was ready: ${tail.trim().split('\n').slice(-3).join(' | ')}`));
      });
    }),
    stderrTail: () => tail,
    send(msg) {
      if (child.connected) child.send(msg);
    },
    async stop() {
      replica.stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
  replica.ready.catch(() => undefined);
  return replica;
}
