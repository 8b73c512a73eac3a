import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateFile } from '../../infra/demo/addresses.ts';
import { FAULT_INFO } from '../../infra/demo/fault-kinds.ts';
import { type StubControlPlane, startStubControlPlane } from '../helpers/stub-control-plane.ts';
import { ZEROOPS_BIN } from '../helpers/zeroops-process.ts';

const TRACE = fileURLToPath(new URL('../helpers/trace-imports.mjs', import.meta.url));

/** Runs the binary (async: the stub answers from this process), recording every module it resolves. */
function run(args: string[], dataDir: string): Promise<{ code: number; out: string; err: string; modules: string[] }> {
  const traceFile = join(dataDir, `modules-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(traceFile, '');
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ZEROOPS_DATA_DIR: dataDir, ZEROOPS_TRACE_IMPORTS: traceFile };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', TRACE, ZEROOPS_BIN, ...args], { env }, (error, out, err) => {
      const modules = readFileSync(traceFile, 'utf8').split('\n').filter(Boolean);
      resolve({ code: error ? Number(error.code ?? 1) : 0, out, err, modules });
    });
  });
}

// What `zeroops start` loads and a one-HTTP-call command must not: the service stack.
const HEAVY = /node_modules\/(fastify|drizzle-orm|kafkajs|pg|@electric-sql|@tensorflow|@opentelemetry\/sdk-node|@kubernetes)\/|services\/cli\/runtime\.ts/;

describe('zeroops demo fault (the binary) against a stand-in control plane', () => {
  let stub: StubControlPlane;
  let dataDir: string;

  beforeAll(async () => {
    stub = await startStubControlPlane();
    dataDir = mkdtempSync(join(tmpdir(), 'zeroops-demo-fault-cli-'));
  });
  afterAll(async () => {
    await stub?.close();
  });

  it('posts the service, kind, magnitude and duration as JSON and prints the fault it got back', async () => {
    const r = await run(['demo', 'fault', 'checkout', 'bad-deploy', '--magnitude', '2', '--duration', '300', '--url', stub.url], dataDir);
    expect(r.code, r.err).toBe(0);
    const posts = stub.requests.filter((q) => q.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({ url: '/faults', contentType: 'application/json' });
    expect(posts[0]?.body).toEqual({ service: 'checkout', kind: 'bad-deploy', magnitude: 2, durationSeconds: 300 });
    expect(r.out).toBe(
      `injected f1-checkout-bad-deploy: bad-deploy on checkout, magnitude 2 (${FAULT_INFO['bad-deploy'].unit}) until 2026-01-01T00:05:00.000Z; fixed by: rollback\n`,
    );
  }, 120_000);

  it('finds the control plane through the state file in the data directory', async () => {
    mkdirSync(join(dataDir, 'demo'), { recursive: true });
    writeFileSync(stateFile(dataDir), JSON.stringify({ url: stub.url }));
    const before = stub.requests.length;
    const r = await run(['demo', 'fault', 'checkout', 'latency'], dataDir);
    expect(r.code, r.err).toBe(0);
    expect(stub.requests.slice(before).map((q) => [q.method, q.url, q.body])).toEqual([['POST', '/faults', { service: 'checkout', kind: 'latency' }]]);
    expect(r.out).toMatch(/^injected f1-checkout-latency: latency on checkout, .*fixed by: no operation \(zeroops should escalate\)\n$/);
  }, 120_000);

  it('demo fault, demo services and --help load none of the service stack', async () => {
    for (const args of [['demo', 'fault', 'checkout', 'errors', '--url', stub.url], ['demo', 'services', '--url', stub.url], ['--help']]) {
      const r = await run(args, dataDir);
      expect(r.code, r.err).toBe(0);
      expect(
        r.modules.some((m) => m.endsWith('/services/cli/main.ts')),
        'the trace sees the CLI',
      ).toBe(true);
      expect(
        r.modules.filter((m) => HEAVY.test(m)),
        args.join(' '),
      ).toEqual([]);
    }
  }, 120_000);
});
