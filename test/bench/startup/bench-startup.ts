/**
 * make bench-startup: time from spawning `zeroops start` (embedded mode, a
 * fresh data directory) to the first 200 from /readyz, median of several
 * starts, for the TypeScript sources run through tsx (what the binary did
 * before the build existed, and still does in a checkout) and for the
 * compiled dist/ (what an installed package runs). Needs `npm run build`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../helpers/zeroops-process.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RUNS = Number(process.argv[2] ?? 5);
const VARIANTS: Record<string, string> = { 'sources (tsx)': join(ROOT, 'bin/zeroops.js'), 'dist (compiled)': join(ROOT, 'dist/services/cli/main.js') };

async function readyOnce(api: string): Promise<boolean> {
  try {
    return (await fetch(`${api}/readyz`)).status === 200;
  } catch (err) {
    if (err instanceof TypeError) return false; // not listening yet
    throw err;
  }
}

/** One start: ms from spawn to the first 200 from /readyz. */
async function oneStart(entry: string): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'zeroops-bench-startup-'));
  const apiPort = await freePort();
  const api = `http://127.0.0.1:${apiPort}`;
  const t0 = performance.now();
  const child = spawn(process.execPath, [entry, 'start'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      ZEROOPS_LOG_LEVEL: 'warn',
      ZEROOPS_API_PORT: String(apiPort),
      ZEROOPS_OTLP_HTTP_PORT: '0',
      ZEROOPS_OTLP_GRPC_PORT: '0',
      ZEROOPS_DATA_DIR: dataDir,
      ZEROOPS_CONNECT_TIMEOUT_MS: '300000',
    },
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode} before it was ready`);
      if (await readyOnce(api)) return performance.now() - t0;
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

if (!existsSync(VARIANTS['dist (compiled)']!)) throw new Error('dist/ is missing: run npm run build first (make bench-startup does)');
process.stdout.write(`zeroops start -> first 200 from /readyz, ${RUNS} starts each (embedded mode, fresh data dir)\n`);
for (const [name, entry] of Object.entries(VARIANTS)) {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await oneStart(entry));
  process.stdout.write(`${name.padEnd(16)} median ${(median(times) / 1000).toFixed(2)} s   (${times.map((t) => (t / 1000).toFixed(2)).join(', ')})\n`);
}
