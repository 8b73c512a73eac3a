import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Path of the `zeroops` binary. */
export const ZEROOPS_BIN = fileURLToPath(new URL('../../bin/zeroops.js', import.meta.url));

/** A `zeroops` child process with its captured output. */
export interface ZeroopsProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal name) once the process exits. */
  exited: Promise<number | string>;
  /** Resolves with the first match of `re` in stdout, or rejects after `timeoutMs` (with the output so far). */
  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
}

/**
 * Spawns `zeroops <args>` with `env` added to a minimal environment.
 * `where.bin` runs another copy of the binary (an installed package), from `where.cwd`.
 */
export function spawnZeroops(args: string[], env: Record<string, string>, where: { bin?: string; cwd?: string } = {}): ZeroopsProcess {
  const child = spawn(process.execPath, [where.bin ?? ZEROOPS_BIN, ...args], {
    cwd: where.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ZEROOPS_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, sig) => resolve(code ?? sig ?? 'unknown')));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(re, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = out.match(re);
        if (m) return m;
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`zeroops did not print ${re} (exit ${child.exitCode}):\nstdout:\n${out}\nstderr:\n${err}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

/** A TCP port that was free a moment ago on 127.0.0.1 (bound to 0, read, closed). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once a TCP connection to `127.0.0.1:port` is accepted; rejects with the socket error (e.g. ECONNREFUSED). */
export async function tcpConnect(port: number): Promise<void> {
  const { createConnection } = await import('node:net');
  await new Promise<void>((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.end();
      resolve();
    });
    socket.once('error', reject);
  });
}
