/**
 * Executor benchmark (`make bench-executor`, or `npx tsx test/bench/executor/bench-executor.ts`).
 * Real Postgres (a fresh database on ZEROOPS_TEST_PG_URL), the in-process bus,
 * a real HTTP target. Prints:
 *  - anomalies matched per second against 1,000 stored playbooks (catalog, in process);
 *  - executions started per second for a burst of anomalies (event published -> first http step received);
 *  - p50/p99 delay from anomaly event to the first step starting, at a paced rate.
 * Options: --playbooks 1000 --burst 1000 --paced 300 --rate 50
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { createMemoryBus, topicNames } from '../../../services/bus/index.ts';
import { type AnomalyEvent, encodeAnomaly } from '../../../services/bus/messages.ts';
import { loadConfig } from '../../../services/core/config.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { createTelemetry } from '../../../services/core/telemetry.ts';
import { createExecutor } from '../../../services/executor/index.ts';
import { assertPlaybook, createPlaybook, listPlaybooks, PlaybookCatalog } from '../../../services/playbooks/index.ts';
import { createStore } from '../../../services/store/index.ts';
import { createTestDatabase } from '../../helpers/postgres.ts';

const { values } = parseArgs({
  options: {
    playbooks: { type: 'string', default: '1000' },
    burst: { type: 'string', default: '1000' },
    paced: { type: 'string', default: '300' },
    rate: { type: 'string', default: '50' },
  },
});
const N_PLAYBOOKS = Number(values.playbooks);
const BURST = Number(values.burst);
const PACED = Number(values.paced);
const RATE = Number(values.rate);
const SERVICES = 200;

const arrivals = new Map<string, number>();
const server = createServer((req, res) => {
  arrivals.set((req.url ?? '').slice(1), performance.timeOrigin + performance.now());
  req.resume();
  req.on('end', () => res.writeHead(200).end('{}'));
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const targetUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const db = await createTestDatabase();
const config = loadConfig({ DATABASE_URL: db.url, ZEROOPS_HTTP_ALLOWLIST: '127.0.0.1', ZEROOPS_DATABASE_POOL: '10' });
const store = await createStore({ databaseUrl: db.url, dataDir: ':memory:', poolSize: 10, connectTimeoutMs: 5_000, logger: silentLogger() });
const bus = createMemoryBus({ partitions: 8 });
await bus.connect();
const topics = topicNames('');
const now = () => performance.timeOrigin + performance.now();

// 1,000 playbooks: one specific playbook per (service, kind) plus wildcard ones that lose on priority.
const kinds = ['latency', 'errors', 'traffic', 'saturation', 'logs'] as const;
const t0 = now();
for (let i = 0; i < N_PLAYBOOKS; i++) {
  const svc = i % SERVICES;
  const spec = assertPlaybook(
    {
      name: `pb-${i}`,
      mode: 'auto',
      priority: i < SERVICES * kinds.length ? 10 : 0,
      match: { service: i < SERVICES * kinds.length ? `svc-${svc}` : `svc-${svc}*`, kinds: [kinds[Math.floor(i / SERVICES) % kinds.length]!], minScore: 0.5 },
      guardrails: { cooldownSeconds: 0, maxConcurrent: 100_000 },
      steps: [{ id: 'act', type: 'http', http: { method: 'POST', url: `${targetUrl}/{{anomaly.id}}` } }],
    },
    { secrets: {}, commandAllowlist: [], httpAllowlist: ['127.0.0.1'] },
  );
  await createPlaybook(store.db, spec, 'bench');
}
console.log(`stored ${N_PLAYBOOKS} playbooks in ${((now() - t0) / 1000).toFixed(1)} s`);

const mk = (i: number, tag: string): AnomalyEvent => ({
  id: `${tag}-${i}`,
  service: `svc-${i % SERVICES}`,
  episodeId: `${tag}-ep-${i}`,
  windowStartUnixMs: Date.now() - 10_000,
  windowEndUnixMs: Date.now(),
  score: 0.9,
  likelihood: 0.99,
  severity: 'critical',
  kind: kinds[i % kinds.length]!,
  evidence: [],
  modelVersion: 'bench',
  episodeState: 'open',
  rootCauses: [],
  attributes: {},
  detectedUnixMs: Date.now(),
  recoveryStartUnixMs: 0,
  flapping: false,
});

// Matching alone.
const catalog = new PlaybookCatalog(await listPlaybooks(store.db));
const sample = Array.from({ length: 20_000 }, (_, i) => mk(i, 'm'));
let matched = 0;
const m0 = now();
for (const a of sample) if (catalog.choose(a)) matched++;
const matchRate = sample.length / ((now() - m0) / 1000);
console.log(`matching: ${Math.round(matchRate)} anomalies/s against ${catalog.size} playbooks (${matched}/${sample.length} matched)`);

const executor = createExecutor(
  { bus, store, logger: silentLogger(), telemetry: createTelemetry(), topics, options: { pollMs: 200, maxRunning: 500 } },
  config,
);
await executor.start();

async function waitArrivals(ids: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (ids.some((id) => !arrivals.has(id))) {
    if (Date.now() > deadline) throw new Error(`only ${ids.filter((id) => arrivals.has(id)).length}/${ids.length} first steps started within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// Burst: executions started per second.
const burst = Array.from({ length: BURST }, (_, i) => mk(i, 'b'));
const b0 = now();
await bus.publish(
  topics.anomalies,
  burst.map((a) => ({ key: a.service, value: encodeAnomaly(a) })),
);
await waitArrivals(
  burst.map((a) => a.id),
  120_000,
);
const bSecs = (Math.max(...burst.map((a) => arrivals.get(a.id)!)) - b0) / 1000;
console.log(`burst: ${BURST} executions started in ${bSecs.toFixed(2)} s = ${Math.round(BURST / bSecs)} executions/s`);

// Paced: delay from the anomaly event to its first step starting.
const delays: number[] = [];
const sent = new Map<string, number>();
const paced = Array.from({ length: PACED }, (_, i) => mk(i, 'p'));
for (const a of paced) {
  sent.set(a.id, now());
  await bus.publish(topics.anomalies, [{ key: a.service, value: encodeAnomaly(a) }]);
  await new Promise((r) => setTimeout(r, 1000 / RATE));
}
await waitArrivals(
  paced.map((a) => a.id),
  60_000,
);
for (const a of paced) delays.push(arrivals.get(a.id)! - sent.get(a.id)!);
delays.sort((x, y) => x - y);
const pct = (p: number) => delays[Math.min(delays.length - 1, Math.floor((p / 100) * delays.length))]!;
console.log(
  `delay anomaly -> first step (${PACED} at ${RATE}/s): p50 ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms, max ${delays[delays.length - 1]!.toFixed(1)} ms (target p99 < 200 ms)`,
);

await executor.stop(5_000);
await bus.close();
await store.close();
await db.drop();
server.close();
