/**
 * make bench-chaos: production mode (Kafka + Postgres, two processes of each
 * service) under steady OTLP load from the stock exporter and a stream of
 * anomalies, with one fault at a time. Prints, per fault: acknowledged spans
 * lost, anomalies missed, actions received twice, time to recover and the
 * errors clients saw. Uses a private Kafka broker and a private PostgreSQL
 * cluster, so the shared ones are never stopped.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { createKafkaBus, topicNames } from '../../../services/bus/index.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { decodeResourceSpans, encodeExportRequest } from '../../../services/otlp/index.ts';
import { createStore, rollups } from '../../../services/store/index.ts';
import { traceRequest } from '../../fixtures/otlp/generate.ts';
import { privateKafka } from '../../helpers/private-kafka.ts';
import { anomaly, publishAnomalies, upsertIncident } from '../../integration/executor/harness.ts';
import { killAndRestart, type Member, startFleet, stopFleet } from './fleet.ts';
import { startActionTarget, startSpanLoad } from './load.ts';
import { startPrivatePostgres } from './private-postgres.ts';
import { type ProbeResult, retryable, startProbes } from './probes.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ACT_WITHIN_MS = 10_000;
const STEADY_MS = Number(process.env.ZEROOPS_CHAOS_STEADY_MS ?? 15_000);
const STABLE_MS = 10_000;
const PHASE_MAX_MS = 150_000;

interface Phase {
  fault: string;
  startMs: number;
  faultMs: number;
  endMs: number;
  recoveredMs?: number;
}

async function main(): Promise<void> {
  const kafka = privateKafka(Number(process.env.ZEROOPS_CHAOS_KAFKA_PORT ?? 19392), 'chaos');
  process.stderr.write('bench-chaos: starting a private Kafka broker and PostgreSQL cluster\n');
  await kafka.up();
  const pg = await startPrivatePostgres(Number(process.env.ZEROOPS_CHAOS_PG_PORT ?? 55433));
  const prefix = `chaos-${Date.now()}.`;
  const topics = topicNames(prefix);
  const base = {
    KAFKA_BROKERS: kafka.broker,
    DATABASE_URL: pg.url,
    ZEROOPS_TOPIC_PREFIX: prefix,
    ZEROOPS_TOPIC_PARTITIONS: '4',
    ZEROOPS_HTTP_ALLOWLIST: '127.0.0.1',
    ZEROOPS_WINDOW_SECONDS: '2',
    ZEROOPS_LATENESS_SECONDS: '1',
    ZEROOPS_DETECTOR_NEURAL: 'false',
    ZEROOPS_COLLECTOR_MAX_INFLIGHT_BYTES: String(48 << 20),
    ZEROOPS_DATABASE_POOL: '5',
  };
  process.stderr.write('bench-chaos: starting 2 collectors, 2 detectors, 2 executors, 2 APIs\n');
  const members = await startFleet(base);
  const m = (name: string) => members.find((x) => x.name === name) as Member;
  const store = await createStore({ databaseUrl: pg.url, dataDir: ':memory:', poolSize: 2, connectTimeoutMs: 5_000, logger: silentLogger() });
  const bus = createKafkaBus({ brokers: [kafka.broker], clientId: 'bench-chaos', logger: silentLogger(), connectTimeoutMs: 10_000, defaultPartitions: 4 });
  await bus.connect();
  const target = await startActionTarget();
  await createPlaybook(m('api-1').api as string, target.url);

  const collectors = () => members.filter((x) => x.command === 'collector').map((x) => x.otlpHttp as string);
  const load = startSpanLoad(collectors, 4, 200);
  const probes = startProbes(members, load.ledger.acked);
  const published = new Map<string, number>();
  const stream = startAnomalyStream(store, bus, topics.anomalies, published);
  const detectorChecks = startDetectorCheck(store, probes.results);

  const faults: [string, () => Promise<void>][] = [
    ['kill -9 collector', () => killAndRestart(m('collector-1'))],
    ['kill -9 detector', () => killAndRestart(m('detector-1'))],
    ['kill -9 executor', () => killAndRestart(m('executor-1'))],
    ['kill -9 api', () => killAndRestart(m('api-1'))],
    [
      'Kafka broker stopped for 20 s',
      async () => {
        await kafka.down();
        await sleep(20_000);
        await kafka.up();
      },
    ],
    ['PostgreSQL restarted', () => pg.restart()],
    ['collector memory budget filled for 15 s', () => fillBudget(m('collector-2'), 15_000)],
  ];
  const phases: Phase[] = [];
  // ZEROOPS_CHAOS_ONLY=1,5 runs a subset (1-based positions in the table).
  const only = (process.env.ZEROOPS_CHAOS_ONLY ?? '').split(',').filter(Boolean).map(Number);
  for (const [fault, run] of faults.filter((_, i) => only.length === 0 || only.includes(i + 1))) {
    const startMs = Date.now();
    await sleep(STEADY_MS);
    const faultMs = Date.now();
    process.stderr.write(`bench-chaos: ${fault}\n`);
    await run();
    const phase: Phase = { fault, startMs, faultMs, endMs: 0 };
    phase.recoveredMs = await waitRecovered(faultMs, probes.results, target.firstAt, published);
    phase.endMs = Date.now();
    phases.push(phase);
    process.stderr.write(
      `bench-chaos:   recovered after ${phase.recoveredMs === undefined ? 'NOT within the phase' : `${((phase.recoveredMs - faultMs) / 1000).toFixed(1)} s`}\n`,
    );
  }
  await stream.stop();
  await detectorChecks.stop();
  await load.stop();
  await probes.stop();
  process.stderr.write('bench-chaos: draining: waiting for every published anomaly to act and reading back the telemetry topic\n');
  await waitUntil(() => [...published.keys()].every((ep) => target.firstAt.has(keyOf(target.received, ep))), 60_000);
  const inTopic = await readSpanIds(bus, topics.traces, new Set(load.ledger.acked.keys()));
  const rows = phases.map((p) => summarize(p, load.ledger.acked, inTopic, published, target.received, probes.results, load.ledger.failures));
  printTable(rows);
  if (fillAnswers.size > 0)
    process.stdout.write(
      `budget-filling requests (${(body0Bytes / 1e6).toFixed(1)} MB each, 24 at a time) were answered: ${[...fillAnswers].map(([k, n]) => `${k} x${n}`).join(', ')}\n`,
    );
  const file = join(tmpdir(), 'bench-chaos.json');
  writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), rows }, null, 2));
  process.stdout.write(`\nJSON: ${file}\n`);
  await target.close();
  await bus.close();
  await store.close();
  await stopFleet(members);
  await kafka.destroy();
  await pg.destroy();
}

async function createPlaybook(api: string, targetUrl: string): Promise<void> {
  const res = await fetch(`${api}/api/v1/playbooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'chaos-act',
      mode: 'auto',
      match: { service: 'chaos-svc-*' },
      guardrails: { cooldownSeconds: 0, maxConcurrent: 100, skipWhenFlapping: false },
      steps: [
        {
          id: 'act',
          type: 'http',
          timeoutSeconds: 10,
          retry: { maxAttempts: 5, initialDelayMs: 500, backoff: 2, maxDelayMs: 5000 },
          http: { method: 'POST', url: `${targetUrl}/act` },
        },
      ],
    }),
  });
  if (res.status >= 300) throw new Error(`creating the playbook failed: ${res.status} ${await res.text()}`);
}

/** Publishes one anomaly (a fresh episode of one of 20 services) every 500 ms; `published` maps episode -> time. */
function startAnomalyStream(
  store: Awaited<ReturnType<typeof createStore>>,
  bus: ReturnType<typeof createKafkaBus>,
  topic: string,
  published: Map<string, number>,
) {
  let running = true;
  let n = 0;
  const loop = (async () => {
    while (running) {
      const t0 = Date.now();
      const episodeId = `ep-${n}`;
      const service = `chaos-svc-${n++ % 20}`;
      try {
        await upsertIncident(store, episodeId, { service });
        await publishAnomalies(bus, topic, [anomaly({ service, episodeId })]);
        published.set(episodeId, Date.now());
      } catch {
        // Not published (the broker or the database is down): not an anomaly zeroops could act on.
      }
      await sleep(Math.max(0, 500 - (Date.now() - t0)));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** Adds a `detector` probe result every 2 s: ok when the newest rollup is at most 12 s old. */
function startDetectorCheck(store: Awaited<ReturnType<typeof createStore>>, results: ProbeResult[]) {
  let running = true;
  const loop = (async () => {
    while (running) {
      const atMs = Date.now();
      try {
        const [r] = await store.db.select({ newest: sql<string>`max(${rollups.windowEnd})` }).from(rollups);
        const newest = r?.newest ? new Date(r.newest).getTime() : 0;
        results.push({
          atMs,
          check: 'detector',
          ok: atMs - newest <= 12_000,
          ...(atMs - newest <= 12_000 ? {} : { seen: `newest rollup ${((atMs - newest) / 1000).toFixed(0)} s old` }),
        });
      } catch (err) {
        results.push({ atMs, check: 'detector', ok: false, seen: `store: ${(err as Error).message}` });
      }
      await sleep(2_000);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

const keyOf = (received: Map<string, number>, episode: string) => [...received.keys()].find((k) => k.startsWith(`${episode}:`)) ?? '';

/** Anomalies published at or after `from` and old enough to judge: acted within ACT_WITHIN_MS or not. */
function pipelineChecks(from: number, firstAt: Map<string, number>, published: Map<string, number>): ProbeResult[] {
  const byEpisode = new Map<string, number>();
  for (const [k, t] of firstAt) byEpisode.set(k.slice(0, k.indexOf(':')), t);
  const out: ProbeResult[] = [];
  for (const [ep, at] of published) {
    if (at < from || Date.now() - at < ACT_WITHIN_MS) continue;
    const acted = byEpisode.get(ep);
    out.push({ atMs: at, check: 'anomaly->action', ok: acted !== undefined && acted - at <= ACT_WITHIN_MS });
  }
  return out;
}

/** Waits until every check has passed for STABLE_MS; returns the time from which all passed, or undefined. */
async function waitRecovered(
  faultMs: number,
  results: ProbeResult[],
  firstAt: Map<string, number>,
  published: Map<string, number>,
): Promise<number | undefined> {
  const deadline = faultMs + PHASE_MAX_MS;
  while (Date.now() < deadline) {
    await sleep(1_000);
    const all = [...results.filter((r) => r.atMs >= faultMs), ...pipelineChecks(faultMs, firstAt, published)];
    const lastBad = Math.max(faultMs, ...all.filter((r) => !r.ok).map((r) => r.atMs + 1));
    const goodSince = all.filter((r) => r.atMs >= lastBad);
    if (Date.now() - lastBad >= STABLE_MS && goodSince.some((r) => r.check === 'anomaly->action')) return lastBad;
  }
  const recent = [...results, ...pipelineChecks(faultMs, firstAt, published)].filter((r) => !r.ok && r.atMs > Date.now() - 30_000);
  const byCheck = new Map<string, string>();
  for (const r of recent) byCheck.set(r.check, `${recent.filter((x) => x.check === r.check).length}x ${r.seen ?? ''}`);
  process.stderr.write(`bench-chaos:   still failing in the last 30 s: ${[...byCheck].map(([k, v]) => `${k}: ${v}`).join('; ')}\n`);
  return undefined;
}

/** Statuses the budget-filling requests got (shows that the budget was really full). */
const fillAnswers = new Map<string, number>();

let body0Bytes = 0;

async function fillBudget(c: Member, forMs: number): Promise<void> {
  const body = encodeExportRequest('traces', traceRequest({ itemsPerResource: 20_000, attributesPerItem: 8, seed: 77, servicePrefix: 'chaos-fill' }));
  body0Bytes = body.length;
  const end = Date.now() + forMs;
  const worker = async () => {
    while (Date.now() < end) {
      const res = await fetch(`${c.otlpHttp}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body }).catch(
        () => undefined,
      );
      await res?.text();
      const k = String(res?.status ?? 'network error');
      fillAnswers.set(k, (fillAnswers.get(k) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: 24 }, worker));
}

async function waitUntil(pred: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred() && Date.now() < end) await sleep(500);
}

/** Reads the traces topic from the start until every id in `want` was seen (or 120 s pass). */
async function readSpanIds(bus: ReturnType<typeof createKafkaBus>, topic: string, want: Set<string>): Promise<Set<string>> {
  const seen = new Set<string>();
  const sub = await bus.subscribe({
    groupId: `chaos-reader-${Date.now()}`,
    topics: [topic],
    eachBatch: async (recs) => {
      for (const r of recs) for (const s of decodeResourceSpans(r.value).spans) seen.add(s.spanId);
    },
  });
  await waitUntil(() => [...want].every((id) => seen.has(id)), 120_000);
  await sub.stop();
  return seen;
}

interface Row {
  fault: string;
  ackedSpans: number;
  ackedSpansLost: number;
  anomalies: number;
  anomaliesMissed: number;
  actionsReceivedTwice: number;
  recoverSeconds: number | null;
  clientErrors: number;
  clientErrorsRetryable: number;
  clientErrorKinds: string[];
}

function summarize(
  p: Phase,
  acked: Map<string, number>,
  inTopic: Set<string>,
  published: Map<string, number>,
  received: Map<string, number>,
  results: ProbeResult[],
  failures: { atMs: number; error: string }[],
): Row {
  const inPhase = (t: number) => t >= p.startMs && t < p.endMs;
  const spans = [...acked].filter(([, t]) => inPhase(t)).map(([id]) => id);
  const eps = [...published].filter(([, t]) => inPhase(t)).map(([ep]) => ep);
  const keys = [...received].filter(([k]) => eps.includes(k.slice(0, k.indexOf(':'))));
  const errs = [
    ...results.filter((r) => inPhase(r.atMs) && !r.ok && r.check !== 'detector' && r.seen).map((r) => r.seen as string),
    ...failures.filter((f) => inPhase(f.atMs)).map((f) => f.error),
  ];
  return {
    fault: p.fault,
    ackedSpans: spans.length,
    ackedSpansLost: spans.filter((id) => !inTopic.has(id)).length,
    anomalies: eps.length,
    anomaliesMissed: eps.filter((ep) => !keys.some(([k]) => k.startsWith(`${ep}:`))).length,
    actionsReceivedTwice: keys.filter(([, n]) => n > 1).length,
    recoverSeconds: p.recoveredMs === undefined ? null : Math.round((p.recoveredMs - p.faultMs) / 100) / 10,
    clientErrors: errs.length,
    clientErrorsRetryable: errs.filter(retryable).length,
    clientErrorKinds: [...new Set(errs.map((e) => e.replace(/\d{3,}/g, (d) => (d.length === 3 ? d : 'N')).slice(0, 60)))].slice(0, 5),
  };
}

function printTable(rows: Row[]): void {
  const head = ['fault', 'acked spans', 'lost', 'anomalies', 'missed', 'actions x2', 'recover s', 'client errors (retryable)'];
  process.stdout.write(`\n| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|\n`);
  for (const r of rows) {
    const cells = [
      r.fault,
      r.ackedSpans,
      r.ackedSpansLost,
      r.anomalies,
      r.anomaliesMissed,
      r.actionsReceivedTwice,
      r.recoverSeconds ?? 'no',
      `${r.clientErrors} (${r.clientErrorsRetryable})`,
    ];
    process.stdout.write(`| ${cells.join(' | ')} |\n`);
  }
  for (const r of rows) if (r.clientErrorKinds.length) process.stdout.write(`${r.fault}: ${r.clientErrorKinds.join('; ')}\n`);
}

await main();
