/**
 * Ingest benchmark (`npx tsx test/bench/ingest/bench-ingest.ts`, wired as
 * `make bench-ingest`). Starts the collector in a child process on the real
 * Kafka broker (env ZEROOPS_BENCH_KAFKA_BROKERS, default 127.0.0.1:19092),
 * loads it over loopback keep-alive HTTP with realistic batches (512 items,
 * 8 attributes each) as protobuf and as JSON, and prints per signal and
 * encoding: the sustained maximum (closed loop: each connection sends its
 * next request when the previous one is answered, and the collector answers
 * only once Kafka acked the records), items per CPU-second of the collector
 * process ("per core"), and latency p50/p99 in an open-loop phase at 80% of
 * that maximum (requests sent on schedule whatever the answers' pace,
 * latency from the scheduled time, every answer counted). Everything runs
 * ZEROOPS_BENCH_REPEAT times (default 3), interleaved, after a warm-up; the
 * table shows medians and the spread of p99, so one noisy run neither makes
 * nor breaks the target (p99 < 50 ms at 80%). Then the same for a null
 * endpoint that only reads the body, its open-loop phase run at the
 * collector's 80% rate (80% of its own maximum would measure the loader).
 * A second table says where the time went in the median 80% phase: the
 * collector's event-loop delay and stage timings (read, json, split,
 * publish wait), how late the loader sent, and the CPU used by the loader,
 * the collector, the broker and everything else on the machine.
 * Env: ZEROOPS_BENCH_SECONDS (per phase, default 5), ZEROOPS_BENCH_CONCURRENCY
 * (default 8), ZEROOPS_BENCH_REPEAT (default 3), ZEROOPS_BENCH_WARMUP_SECONDS
 * (closed loop over every signal and encoding before the first repetition,
 * default 12), ZEROOPS_BENCH_CASES (comma-separated signal:format pairs to run,
 * e.g. traces:protobuf,logs:json; default all six).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeExportRequest, type Signal } from '../../../services/otlp/index.ts';
import { logsRequest, metricsRequest, traceRequest } from '../../fixtures/otlp/generate.ts';
import { printReport, type Row, TARGET_P99_MS } from './bench-report.ts';
import type { Probe } from './bench-server.ts';
import { closedLoop, openLoop } from './load.ts';

const here = dirname(fileURLToPath(import.meta.url));
const seconds = Number(process.env.ZEROOPS_BENCH_SECONDS ?? 5);
const concurrency = Number(process.env.ZEROOPS_BENCH_CONCURRENCY ?? 8);
const brokers = process.env.ZEROOPS_BENCH_KAFKA_BROKERS ?? '127.0.0.1:19092';
const repeat = Math.max(1, Number(process.env.ZEROOPS_BENCH_REPEAT ?? 3));
const warmupSeconds = Number(process.env.ZEROOPS_BENCH_WARMUP_SECONDS ?? 12);
const ITEMS = 512;

interface Target {
  child: ChildProcess;
  http: string;
}

async function startTarget(mode: 'collector' | 'null'): Promise<Target> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'bench-server.ts'), mode, brokers], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const http = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout?.on('data', (c: Buffer) => {
      buf += c.toString();
      const line = buf.split('\n')[0];
      if (buf.includes('\n') && line) resolve((JSON.parse(line) as { http: string }).http);
    });
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code} before listening (is Kafka up? make kafka-up)`)));
  });
  return { child, http };
}

async function stopTarget(t: Target): Promise<void> {
  const exited = new Promise((resolve) => t.child.once('exit', resolve));
  t.child.kill('SIGTERM');
  await exited;
}

/** Asks the server process what it saw since the last probe (and resets it). */
function probe(t: Target): Promise<Probe> {
  return new Promise((resolve) => {
    t.child.once('message', (m) => resolve(m as Probe));
    t.child.send('probe');
  });
}

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat. */
function machineCpuSeconds(): number {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return (fields.reduce((a, b) => a + b, 0) - idle) / 100;
}

/** The local process listening on TCP `port` (the broker), from /proc; undefined when not found (e.g. another host). */
function listenerPid(port: number): number | undefined {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[1]?.endsWith(hexPort) && f[3] === '0A' && f[9]) inodes.add(`socket:[${f[9]}]`);
    }
  }
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readdirSync(`/proc/${pid}/fd`).some((fd) => inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`)))) return Number(pid);
    } catch (err) {
      // Processes come and go, and some are not ours to read: skip those.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EACCES' && code !== 'EPERM') throw err;
    }
  }
  return undefined;
}

const brokerPid = listenerPid(Number(brokers.split(',')[0]?.split(':')[1] ?? 19092));

/** CPU seconds of the server, the loader (this process), the broker and the machine, read together. */
function cpuNow(pid: number): { server: number; loader: number; broker: number; machine: number } {
  const u = process.cpuUsage();
  const broker = brokerPid === undefined ? 0 : cpuSeconds(brokerPid);
  return { server: cpuSeconds(pid), loader: (u.user + u.system) / 1e6, broker, machine: machineCpuSeconds() };
}

/** CPU seconds (user + system) the process has used, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function body(signal: Signal, format: 'protobuf' | 'json', seed: number): Uint8Array {
  const o = { resources: 1, itemsPerResource: ITEMS, attributesPerItem: 8, seed };
  const req = signal === 'traces' ? traceRequest(o) : signal === 'metrics' ? metricsRequest(o) : logsRequest(o);
  return format === 'json' ? new TextEncoder().encode(JSON.stringify(req)) : encodeExportRequest(signal, req);
}

const bodyCache = new Map<string, Uint8Array[]>();
function bodiesFor(signal: Signal, format: 'protobuf' | 'json'): Uint8Array[] {
  const k = `${signal}/${format}`;
  let b = bodyCache.get(k);
  if (!b) {
    b = [1, 2, 3, 4].map((seed) => body(signal, format, seed));
    bodyCache.set(k, b);
  }
  return b;
}

/** Non-200 answers of both phases by status, e.g. ` refused: 429 x 12`, or nothing. */
function refusals(row: Row): string {
  const counts: Record<string, number> = {};
  for (const s of [row.max.statuses, row.at80.statuses]) for (const [k, n] of Object.entries(s)) counts[k] = (counts[k] ?? 0) + n;
  const list = Object.entries(counts).map(([k, n]) => `${k} x ${n}`);
  return list.length > 0 ? ` refused: ${list.join(', ')}` : '';
}

const contentType = (format: 'protobuf' | 'json') => (format === 'json' ? 'application/json' : 'application/x-protobuf');

/** Measures one signal and format; the open-loop phase runs at `openRate` req/s when given, else at 80% of the maximum. */
async function measure(target: Target, name: string, signal: Signal, format: 'protobuf' | 'json', rep: number, openRate?: number): Promise<Row> {
  const bodies = bodiesFor(signal, format);
  const url = `${target.http}/v1/${signal}`;
  const ct = contentType(format);
  await closedLoop(url, ct, bodies, concurrency, 1); // warm-up (JIT, connections, topic metadata)
  const pid = target.child.pid as number;
  const cpu0 = cpuSeconds(pid);
  const max = await closedLoop(url, ct, bodies, concurrency, seconds);
  const cpu = cpuSeconds(pid) - cpu0;
  await probe(target);
  const c0 = cpuNow(pid);
  const t0 = performance.now();
  const rate = openRate ?? max.okPerSecond * 0.8;
  const at80 = await openLoop(url, ct, bodies, rate, seconds);
  const c1 = cpuNow(pid);
  const probe80 = await probe(target);
  const wall = (performance.now() - t0) / 1000;
  const server = (c1.server - c0.server) / wall;
  const loader = (c1.loader - c0.loader) / wall;
  const broker = (c1.broker - c0.broker) / wall;
  const cores80 = { server, loader, broker, other: (c1.machine - c0.machine) / wall - server - loader - broker };
  const perCore = cpu > 0 ? (max.ok * ITEMS) / cpu : 0;
  return {
    rep,
    target: name,
    signal,
    format,
    kb: Math.round((bodies[0]?.length ?? 0) / 1024),
    max,
    perCore,
    openRate: rate,
    at80,
    probe80,
    seconds80: wall,
    cores80,
  };
}

const onlyCases = (process.env.ZEROOPS_BENCH_CASES ?? '').split(',').filter(Boolean);
const combos = (['traces', 'metrics', 'logs'] as const)
  .flatMap((signal) => (['protobuf', 'json'] as const).map((format) => ({ signal, format })))
  .filter(({ signal, format }) => onlyCases.length === 0 || onlyCases.includes(`${signal}:${format}`));
if (combos.length === 0)
  throw new Error(`ZEROOPS_BENCH_CASES=${process.env.ZEROOPS_BENCH_CASES} names no case: use signal:format pairs such as traces:protobuf,logs:json`);
const rows: Row[] = [];
const loadBefore = loadavg()[0] ?? 0;
for (const mode of ['collector', 'null'] as const) {
  const target = await startTarget(mode);
  try {
    if (mode === 'collector' && warmupSeconds > 0) {
      // A collector and a broker run for days: measure them warm (JIT, page cache, connections), not in their first seconds.
      for (const { signal, format } of combos)
        await closedLoop(`${target.http}/v1/${signal}`, contentType(format), bodiesFor(signal, format), concurrency, warmupSeconds / combos.length);
    }
    for (let rep = 1; rep <= repeat; rep++) {
      for (const { signal, format } of combos) {
        const collectorRow = rows.find((r) => r.target === 'collector' && r.signal === signal && r.format === format && r.rep === rep);
        const row = await measure(target, mode, signal, format, rep, collectorRow?.openRate);
        rows.push(row);
        console.error(
          `${mode} ${signal} ${format} (${rep}/${repeat}): ${Math.round(row.max.okPerSecond * ITEMS)} items/s, ${Math.round(row.perCore)} items/CPU-s, p99@80% ${row.at80.p99.toFixed(1)} ms (${row.at80.okPerSecond.toFixed(0)} of ${row.openRate.toFixed(0)} req/s)${refusals(row)}`,
        );
      }
    }
  } finally {
    await stopTarget(target);
  }
}
const met = printReport(rows, ITEMS);
console.log(
  `\n${ITEMS} items x 8 attributes per request, ${concurrency} connections, ${seconds} s per phase after a ${warmupSeconds} s warm-up, ${repeat} repetition(s), one collector process; Kafka ${brokers}.`,
);
console.log(
  '@max = closed loop (each connection sends its next request when the previous is answered): the rate the collector sustains with records acked by Kafka.',
);
console.log('@80% = open loop at 80% of that repetition\'s maximum; latency counted from the scheduled send time; "kept up" = answered/asked rate.');
console.log('items/CPU-s = items accepted per CPU-second used by the collector process (its "per core" rate).');
console.log("null rows: the open-loop phase runs at the collector's 80% rate, the floor the loader and HTTP alone give at that rate.");
console.log(
  `1-minute load average ${loadBefore.toFixed(2)} before, ${(loadavg()[0] ?? 0).toFixed(2)} after, on ${cpus().length} CPUs (figures from a busy machine mislead).`,
);
console.log(`collector p99 @80% < ${TARGET_P99_MS} ms (median of the repetitions) for every signal and encoding: ${met ? 'met' : 'NOT met'}`);
