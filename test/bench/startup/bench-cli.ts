/**
 * Times the `zeroops` CLI's short commands (`--help`, `demo services`,
 * `demo fault`) from spawn to exit, against a stub control plane, median of
 * N runs per command, with the load average before and after. Usage:
 *   npx tsx test/bench/startup/bench-cli.ts [runs=5] [bin/zeroops.js ...]
 * Several binaries (e.g. another checkout's) are run interleaved, so that
 * load changes hit them alike.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startStubControlPlane } from '../../helpers/stub-control-plane.ts';
import { ZEROOPS_BIN } from '../../helpers/zeroops-process.ts';

const RUNS = Number(process.argv[2] ?? 5);
const BINS = process.argv.length > 3 ? process.argv.slice(3) : [ZEROOPS_BIN];

// Not spawnSync: the stub control plane answers from this process's event loop.
async function timeOnce(bin: string, args: string[], dataDir: string): Promise<number> {
  const t0 = performance.now();
  await promisify(execFile)(process.execPath, [bin, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ZEROOPS_DATA_DIR: dataDir },
  });
  return performance.now() - t0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

async function main(): Promise<void> {
  const stub = await startStubControlPlane();
  const dataDir = mkdtempSync(join(tmpdir(), 'zeroops-bench-cli-'));
  const commands: Record<string, string[]> = {
    '--help': ['--help'],
    'demo services': ['demo', 'services', '--url', stub.url],
    'demo fault': ['demo', 'fault', 'checkout', 'bad-deploy', '--duration', '300', '--url', stub.url],
  };
  const times = new Map<string, number[]>();
  const before = load();
  for (let i = 0; i < RUNS; i++) {
    for (const [name, args] of Object.entries(commands)) {
      for (const bin of BINS) {
        const key = `${bin}\t${name}`;
        const ms = await timeOnce(bin, args, dataDir);
        times.set(key, [...(times.get(key) ?? []), ms]);
      }
    }
  }
  await stub.close();
  process.stdout.write(`load average before: ${before}, after: ${load()}; ${RUNS} runs each, ms from spawn to exit\n`);
  for (const [key, xs] of times) {
    const [bin, name] = key.split('\t');
    process.stdout.write(`${String(name).padEnd(14)} median ${median(xs).toFixed(0).padStart(6)}  (${xs.map((x) => x.toFixed(0)).join(', ')})  ${bin}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
