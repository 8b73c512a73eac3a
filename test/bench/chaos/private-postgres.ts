import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A PostgreSQL cluster of the benchmark's own (so restarting it never disturbs the shared one). */
export interface PrivatePostgres {
  /** Connection string of its `zeroops` database. */
  readonly url: string;
  restart(): Promise<void>;
  destroy(): Promise<void>;
}

async function binDir(): Promise<string> {
  const { stdout } = await run('bash', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1']);
  const dir = stdout.trim();
  if (!dir) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)');
  return dir;
}

/** Runs a PostgreSQL binary as the `postgres` user when we are root (the server refuses to run as root). */
async function pg(bin: string, args: string[]): Promise<void> {
  const asRoot = process.getuid?.() === 0;
  await run(asRoot ? 'runuser' : bin, asRoot ? ['-u', 'postgres', '--', bin, ...args] : args, { timeout: 120_000 });
}

/** Creates, starts and returns a throwaway cluster on `port` with trust auth. */
export async function startPrivatePostgres(port: number): Promise<PrivatePostgres> {
  const bin = await binDir();
  const dir = mkdtempSync(join(tmpdir(), 'zeroops-chaos-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  await pg(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const ctl = (...a: string[]) => pg(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'log'), '-w', ...a]);
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  await ctl('-o', opts, 'start');
  await run('psql', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-c', 'CREATE DATABASE zeroops']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/zeroops`,
    restart: () => ctl('-o', opts, '-m', 'fast', 'restart'),
    async destroy() {
      await ctl('-m', 'immediate', 'stop').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
