import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/**
 * The settings of a zeroops a test starts beside others: every listener on a
 * free port (read the addresses back), detector windows of `windowMs`,
 * `latenessSeconds` of lateness (more on a starved machine), HTTP steps
 * allowed to 127.0.0.1 (where tests run their targets).
 */
export function testRuntimeEnv(windowMs: number, latenessSeconds = 0.2): Record<string, string> {
  return {
    ZEROOPS_API_PORT: '0',
    ZEROOPS_OTLP_HTTP_PORT: '0',
    ZEROOPS_OTLP_GRPC_PORT: '0',
    ZEROOPS_WINDOW_SECONDS: String(windowMs / 1000),
    ZEROOPS_LATENESS_SECONDS: String(latenessSeconds),
    ZEROOPS_HTTP_ALLOWLIST: '127.0.0.1',
  };
}

/** A running `zeroops start` (see {@link startZeroopsOnFreePorts}) and the base URLs it printed. */
export interface StartedZeroops {
  zeroops: ZeroopsProcess;
  /** Base URL of the REST API, e.g. `http://127.0.0.1:40123`. */
  api: string;
  /** Base URL of the OTLP/HTTP receiver (append `/v1/traces`). */
  otlp: string;
}

/**
 * Spawns `zeroops start` embedded (PGlite in a fresh temporary data directory
 * named after `name`, in-process bus) with every listener on a free port,
 * detector windows of `windowMs` (lateness 0.2 s), HTTP steps allowed to
 * 127.0.0.1, and `env` added (e.g. `ZEROOPS_API_TOKENS`); resolves once it
 * printed its API and OTLP HTTP addresses (up to 240 s on a loaded machine).
 * The caller owns the process: kill it with SIGTERM and await `exited`.
 */
export async function startZeroopsOnFreePorts(name: string, windowMs: number, env: Record<string, string> = {}): Promise<StartedZeroops> {
  const zeroops = spawnZeroops(['start'], { ...testRuntimeEnv(windowMs), ZEROOPS_DATA_DIR: mkdtempSync(join(tmpdir(), `zeroops-${name}-`)), ...env });
  const [, api] = (await zeroops.waitFor(/API\s+(http:\/\/\S+)/, 240_000)) as [string, string];
  const [, otlp] = (await zeroops.waitFor(/OTLP HTTP\s+(http:\/\/\S+)/, 5_000)) as [string, string];
  return { zeroops, api, otlp };
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
