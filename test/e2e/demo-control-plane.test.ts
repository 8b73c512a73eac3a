import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoSystem, startDemo } from '../../infra/demo/demo-system.ts';
import type { FaultRecord } from '../../infra/demo/fault-book.ts';
import { replicasNeeded } from '../../infra/demo/fault-kinds.ts';
import type { ServiceStatus } from '../../infra/demo/supervisor.ts';
import { BAD_VERSION, BASE_VERSION, GOOD_VERSION } from '../../infra/demo/topology.ts';
import { type Runtime, SERVICE_NAMES, startRuntime } from '../../services/cli/runtime.ts';
import { loadConfig } from '../../services/core/config.ts';
import { silentLogger } from '../../services/core/logger.ts';
import { eventually } from '../helpers/http-target.ts';

// Three of the shop's services (gateway -> cart -> sessions-db) as real processes,
// exporting to a real zeroops; every check goes through HTTP from outside.
describe('demo control plane: operations and faults on real processes', () => {
  let rt: Runtime;
  let demo: DemoSystem;
  let cp: string;

  const op = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${cp}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const status = async (name: string) => (await op('GET', `/services/${name}`)).body as unknown as ServiceStatus & { faults: FaultRecord[] };
  const hit = async (service: string, path: string, method = 'GET') => {
    const t0 = performance.now();
    const res = await fetch(`${demo.supervisor.url(service)}${path}`, { method, body: method === 'POST' ? '{}' : undefined });
    const text = await res.text();
    return { status: res.status, ms: performance.now() - t0, text };
  };
  const fault = async (service: string, kind: string, magnitude?: number) => {
    const r = await op('POST', '/faults', { service, kind, magnitude, durationSeconds: 600 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as unknown as FaultRecord;
  };
  const record = async (id: string) => ((await op('GET', '/faults')).body.faults as FaultRecord[]).find((f) => f.id === id) as FaultRecord;
  const pids = async (name: string) => (await status(name)).replicas.map((r) => r.pid);

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'zeroops-demo-'));
    const config = loadConfig({
      ZEROOPS_DATA_DIR: dataDir,
      ZEROOPS_API_PORT: '0',
      ZEROOPS_OTLP_HTTP_PORT: '0',
      ZEROOPS_OTLP_GRPC_PORT: '0',
      ZEROOPS_WINDOW_SECONDS: '1',
      ZEROOPS_LATENESS_SECONDS: '0.2',
      ZEROOPS_DETECTOR_NEURAL: 'false',
    });
    rt = await startRuntime(config, silentLogger(), SERVICE_NAMES);
    demo = await startDemo({
      dataDir,
      otlpEndpoint: rt.addresses.otlpHttp as string,
      services: ['gateway', 'cart', 'sessions-db'],
      controlPort: 0,
      serviceBasePort: 0,
      metricIntervalMs: 2_000,
      // The load generator runs (for surges) but the frontend is not part of this subset, so there is no other load.
      rps: 1,
      capacityRps: { 'sessions-db': 2 },
    });
    cp = demo.controlUrl;
  }, 300_000);

  afterAll(async () => {
    await demo?.stop();
    await rt?.stop();
  }, 60_000);

  it('spans of every demo service reach the zeroops collector through the stock exporters', async () => {
    for (let i = 0; i < 10; i++) expect((await hit('gateway', '/cart')).status).toBe(200);
    await eventually(
      'gateway, cart and sessions-db in /api/v1/services',
      async () => {
        const r = (await (await fetch(`${rt.addresses.api}/api/v1/services`)).json()) as { items: Array<{ name: string }> };
        const names = r.items.map((s) => s.name);
        return ['gateway', 'cart', 'sessions-db'].every((n) => names.includes(n));
      },
      90_000,
      1_000,
    );
  }, 300_000);

  it('bad-deploy runs another version whose bug fails requests; rollback runs the older version and is recorded as the fix', async () => {
    const f = await fault('cart', 'bad-deploy', 1);
    expect(f.fix).toBe('rollback');
    expect((await status('cart')).version).toBe(BAD_VERSION);
    expect(JSON.parse((await hit('cart', '/healthz')).text).version).toBe(BAD_VERSION);
    expect((await hit('gateway', '/cart')).status).toBeGreaterThanOrEqual(500);
    expect((await op('POST', '/services/cart/rollback?wait=true')).status).toBe(200);
    expect(JSON.parse((await hit('cart', '/healthz')).text).version).toBe(BASE_VERSION);
    expect((await hit('gateway', '/cart')).status).toBe(200);
    expect(await record(f.id)).toMatchObject({ state: 'ended', endedBy: 'fix:rollback' });
    const again = await op('POST', '/services/cart/rollback?wait=true');
    expect(again.status).toBe(409);
  }, 300_000);

  it('the deploy route rolls out a good new version (1.6.0) or the bad one (1.5.0, its bug fails requests); rollback undoes each', async () => {
    const statuses = async (n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await hit('gateway', '/cart')).status);
      return out;
    };
    expect((await op('POST', '/services/cart/deploy?wait=true', { version: GOOD_VERSION })).status).toBe(200);
    expect(JSON.parse((await hit('cart', '/healthz')).text).version).toBe(GOOD_VERSION);
    expect((await statuses(20)).every((c) => c === 200)).toBe(true);
    expect((await op('POST', '/services/cart/deploy?wait=true', { version: BAD_VERSION })).status).toBe(200);
    expect(JSON.parse((await hit('cart', '/healthz')).text).version).toBe(BAD_VERSION);
    // 60 % of the bad version's requests fail: some of 20 do, not all.
    const bad = (await statuses(20)).filter((c) => c >= 500).length;
    expect(bad).toBeGreaterThan(0);
    expect(bad).toBeLessThan(20);
    expect((await op('POST', '/services/cart/rollback?wait=true')).status).toBe(200);
    expect(JSON.parse((await hit('cart', '/healthz')).text).version).toBe(GOOD_VERSION);
    expect((await statuses(10)).every((c) => c === 200)).toBe(true);
    expect((await op('POST', '/services/cart/rollback?wait=true')).status).toBe(200);
    expect(JSON.parse((await hit('cart', '/healthz')).text).version).toBe(BASE_VERSION);
  }, 300_000);

  it('errors: the service answers 500 and its callers see 5xx until the fault is cleared', async () => {
    const f = await fault('sessions-db', 'errors', 1);
    expect((await hit('sessions-db', '/get')).status).toBe(500);
    expect((await hit('gateway', '/cart')).status).toBeGreaterThanOrEqual(500);
    expect((await record(f.id)).state).toBe('active');
    await op('DELETE', '/faults?service=sessions-db');
    expect((await hit('gateway', '/cart')).status).toBe(200);
    expect((await record(f.id)).endedBy).toBe('cleared');
  }, 120_000);

  it('latency: the handler answers at least the added delay later', async () => {
    await fault('sessions-db', 'latency', 1500);
    const slow = await hit('gateway', '/cart');
    expect(slow.status).toBe(200);
    expect(slow.ms).toBeGreaterThanOrEqual(1500);
    await op('DELETE', '/faults');
  }, 60_000);

  it('dependency-down: the service cannot reach its datastore and answers 503', async () => {
    await fault('cart', 'dependency-down', 1);
    const r = await hit('cart', '/items');
    expect(r.status).toBe(503);
    expect(r.text).toContain('cannot reach datastore sessions-db');
    expect((await hit('sessions-db', '/get')).status).toBe(200);
    await op('DELETE', '/faults');
    expect((await hit('cart', '/items')).status).toBe(200);
  }, 60_000);

  it('pool-exhaustion: leaked connections make requests wait and fail until a restart (a new process) fixes it', async () => {
    const f = await fault('cart', 'pool-exhaustion', 50);
    await eventually('cart to refuse for lack of connections', async () => (await hit('cart', '/items')).status === 503, 30_000, 500);
    const before = await pids('cart');
    expect((await op('POST', '/services/cart/restart?wait=true')).status).toBe(200);
    const after = await pids('cart');
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before[0]);
    expect(await record(f.id)).toMatchObject({ state: 'ended', endedBy: 'fix:restart' });
    expect((await hit('cart', '/items')).status).toBe(200);
  }, 300_000);

  it('traffic-surge sends extra load straight to the service; one replica cannot take it, enough replicas can and count as the fix', async () => {
    const flood = async (n: number) => (await Promise.all(Array.from({ length: n }, () => hit('sessions-db', '/get')))).filter((r) => r.status === 503).length;
    // One replica serves 2 requests/s and holds 2 s of backlog: 12 at once is too much.
    expect(await flood(12)).toBeGreaterThan(0);
    const before = Object.values(demo.supervisor.forwarded('sessions-db')).reduce((a, b) => a + b, 0);
    const f = await fault('sessions-db', 'traffic-surge', 4);
    await eventually(
      'surge requests at sessions-db',
      async () => Object.values(demo.supervisor.forwarded('sessions-db')).reduce((a, b) => a + b, 0) >= before + 10,
      30_000,
      500,
    );
    const n = replicasNeeded(4);
    expect((await op('POST', '/services/sessions-db/scale?wait=true', { replicas: n })).status).toBe(200);
    expect(await record(f.id)).toMatchObject({ state: 'ended', endedBy: 'fix:scale' });
    const s = await status('sessions-db');
    expect(s.replicas).toHaveLength(n);
    expect(new Set(s.replicas.map((r) => r.pid)).size).toBe(n);
    await op('DELETE', '/faults');
    // Let the backlog the surge left behind drain.
    await new Promise((r) => setTimeout(r, 3_000));
    const counts = demo.supervisor.forwarded('sessions-db');
    expect(await flood(Math.min(12, 4 * n))).toBe(0);
    const after = demo.supervisor.forwarded('sessions-db');
    for (const r of s.replicas) expect((after[r.port as number] ?? 0) - (counts[r.port as number] ?? 0)).toBeGreaterThan(0);
    expect((await op('POST', '/services/sessions-db/scale?wait=true', { replicas: 1 })).status).toBe(200);
    expect(await pids('sessions-db')).toHaveLength(1);
  }, 300_000);

  it('cpu-hog: a runaway loop holds the event loop until a restart ends it', async () => {
    const f = await fault('cart', 'cpu-hog', 0.9);
    const delay = async () => JSON.parse((await hit('cart', '/healthz')).text).eventLoopDelayP50Ms as number;
    // The loop spins 90 ms of every 100: a timer waits for the spin to end.
    await eventually('event-loop delay of cart >= 40 ms', async () => (await delay()) >= 40, 60_000, 1_000);
    expect((await op('POST', '/services/cart/restart?wait=true')).status).toBe(200);
    expect(await record(f.id)).toMatchObject({ state: 'ended', endedBy: 'fix:restart' });
  }, 300_000);

  it('crash-loop: each replica exits soon after start and the supervisor brings it back; clearing ends the loop', async () => {
    const before = (await status('sessions-db')).crashes;
    await fault('sessions-db', 'crash-loop', 1);
    await eventually('two crashes of sessions-db', async () => (await status('sessions-db')).crashes >= before + 2, 90_000, 500);
    await op('DELETE', '/faults');
    await eventually('sessions-db serving again', async () => (await hit('sessions-db', '/get')).status === 200, 90_000, 500);
    const log = readFileSync(demo.groundTruthPath, 'utf8');
    expect(log).toContain('"event":"replica.crashed","service":"sessions-db"');
  }, 300_000);

  it('memory-leak: the heap grows until the process dies; only a restart ends it', async () => {
    const f = await fault('cart', 'memory-leak', 100);
    const before = (await status('cart')).crashes;
    await eventually('cart to die of its leak', async () => (await status('cart')).crashes > before, 90_000, 500);
    expect((await record(f.id)).state).toBe('active');
    // Without ?wait the operation is accepted at once and carried out in the background.
    const oldPids = await pids('cart');
    expect((await op('POST', '/services/cart/restart')).status).toBe(202);
    await eventually('the restart to end the leak', async () => (await record(f.id)).endedBy === 'fix:restart', 90_000, 500);
    await eventually('a new cart process', async () => (await pids('cart')).some((p) => p !== undefined && !oldPids.includes(p)), 90_000, 500);
  }, 300_000);
});
