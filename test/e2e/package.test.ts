/**
 * The npm package: `npm pack` (which builds dist/) gives a tarball that
 * installs into an empty directory and runs `zeroops start` from the compiled
 * JavaScript, with no TypeScript loader installed. Slow (a build and a full
 * npm install from the registry or its cache): one file, generous timeouts.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freePort, spawnZeroops } from '../helpers/zeroops-process.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TEN_MINUTES = 600_000;

describe('npm pack', () => {
  it('packs dist/, installs into an empty directory and runs zeroops start from the compiled code', { timeout: 3 * TEN_MINUTES }, async () => {
    const packDir = mkdtempSync(join(tmpdir(), 'zeroops-pack-'));
    // What `prepack` runs; run here on its own so that its output stays out of pack's JSON.
    await run('npm', ['run', 'build'], { cwd: ROOT, timeout: TEN_MINUTES, maxBuffer: 64 << 20 });
    const packed = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir], {
      cwd: ROOT,
      timeout: TEN_MINUTES,
      maxBuffer: 64 << 20,
    });
    const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = info!.files.map((f) => f.path);
    expect(files).toContain('bin/zeroops.js');
    expect(files).toContain('dist/services/cli/main.js');
    expect(files).toContain('dist/services/collector/decode-worker-entry.js');
    expect(files).toContain('dist/proto/zeroops/v1/events.proto');
    expect(files.some((f) => f.startsWith('dist/services/store/migrations/') && f.endsWith('.sql'))).toBe(true);
    // The built web UI: its page and its hashed assets.
    expect(files).toContain('dist/web/index.html');
    expect(files.some((f) => /^dist\/web\/assets\/index-[\w-]+\.js$/.test(f))).toBe(true);
    // Sources and tests stay out: the package runs what was compiled.
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => f.includes('.test.'))).toEqual([]);

    const app = mkdtempSync(join(tmpdir(), 'zeroops-install-'));
    await run('npm', ['init', '-y'], { cwd: app });
    const installed = await run('npm', ['install', '--no-audit', '--no-fund', join(packDir, info!.filename)], {
      cwd: app,
      timeout: TEN_MINUTES,
      maxBuffer: 64 << 20,
    });
    process.stderr.write(`npm install of the tarball:\n${installed.stdout}${installed.stderr}\n`);
    // Every dependency supports the engines range (Node >= 20.19): no EBADENGINE warning on install.
    if (process.versions.node.startsWith('20.')) expect(installed.stderr).not.toContain('EBADENGINE');
    const bin = join(app, 'node_modules', '.bin', 'zeroops');
    expect(existsSync(bin)).toBe(true);
    // No TypeScript loader is installed with the package: what runs below is dist/.
    expect(existsSync(join(app, 'node_modules', 'tsx'))).toBe(false);
    // The proving ground is not in the package: `zeroops demo` says so instead of failing on a missing module.
    const demo = await run(bin, ['demo', 'services'], { cwd: app }).then(
      () => '',
      (err: { stderr?: string }) => err.stderr ?? '',
    );
    expect(demo).toContain('ZEROOPS_DEMO_UNAVAILABLE');

    const [apiPort, httpPort] = [await freePort(), await freePort()];
    const p = spawnZeroops(
      ['start'],
      {
        ZEROOPS_API_PORT: String(apiPort),
        ZEROOPS_OTLP_HTTP_PORT: String(httpPort),
        ZEROOPS_OTLP_GRPC_PORT: '0',
        ZEROOPS_DATA_DIR: join(app, 'data'),
        ZEROOPS_CONNECT_TIMEOUT_MS: '120000',
      },
      { bin, cwd: app },
    );
    let signalled = false;
    try {
      await p.waitFor(/API\s+http/, 360_000);
      const ready = await fetch(`http://127.0.0.1:${apiPort}/readyz`);
      expect(ready.status).toBe(200);
      // The installed package serves the web UI from its own dist/web/.
      const page = await fetch(`http://127.0.0.1:${apiPort}/`);
      expect(page.status).toBe(200);
      const html = await page.text();
      const asset = html.match(/src="(\/assets\/[^"]+\.js)"/)?.[1];
      expect((await fetch(`http://127.0.0.1:${apiPort}${asset}`)).status).toBe(200);
      const body = JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'packed' } }] },
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: '5b8efff798038103d269b633813fc60c',
                    spanId: 'eee19b7ec3c1b174',
                    name: 'GET /',
                    kind: 2,
                    startTimeUnixNano: '1',
                    endTimeUnixNano: '2',
                  },
                ],
              },
            ],
          },
        ],
      });
      const sent = await fetch(`http://127.0.0.1:${httpPort}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(sent.status, await sent.clone().text()).toBe(200);
      expect(readdirSync(join(app, 'data')).length).toBeGreaterThan(0);
      signalled = p.child.kill('SIGTERM');
    } finally {
      if (!signalled) p.child.kill('SIGTERM');
    }
    expect(await p.exited, p.stderr()).toBe(0);
  });
});
