import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./run-executor.ts', import.meta.url));

/** A running executor process. */
export interface ExecutorProcess {
  child: ChildProcess;
  /** Everything it wrote to stderr/stdout (for failure messages). */
  output(): string;
  /** SIGKILL, no clean-up at all; resolves when it is gone. */
  kill9(): Promise<void>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
}

/** Starts `run-executor.ts` with `env` added to this process's environment; resolves once it prints `ready`. */
export async function startExecutorProcess(env: Record<string, string>, worker: string, leaseMs = 2000): Promise<ExecutorProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--lease-ms', String(leaseMs), '--poll-ms', '100', '--worker', worker], {
    env: { ...process.env, ZEROOPS_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`executor ${worker} not ready within 60 s:\n${out}`)), 60_000);
    const check = () => {
      if (out.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`executor ${worker} exited with ${code} before ready:\n${out}`));
    });
  });
  return {
    child,
    output: () => out,
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
