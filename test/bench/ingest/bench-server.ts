/**
 * The process under load in the ingest benchmark: either the collector (on
 * the real Kafka broker) or a null endpoint (reads the body, answers 200).
 * Started by bench-ingest.ts as `node --import tsx bench-server.ts <mode>`;
 * prints one JSON line `{ "http": "http://..." }` once listening and stops on
 * SIGTERM. Over the IPC channel it answers `'probe'` with a {@link Probe} of
 * what it saw since the previous probe (event-loop delay, collector stage
 * timings) and starts afresh.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { createKafkaBus } from '../../../services/bus/kafka-bus.ts';
import { Kafka, logLevel } from '../../../services/bus/kafkajs.ts';
import { topicNames } from '../../../services/bus/topics.ts';
import { createCollector, STAGE_METRIC } from '../../../services/collector/index.ts';
import { createLogger, createTelemetry, loadConfig, type Telemetry } from '../../../services/core/index.ts';

/** p50/p99/max of a series, in ms. */
export interface Spread {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

/** What the server process saw between two probes. */
export interface Probe {
  /** Event-loop delay: how much later than asked a 5 ms timer ran. */
  eventLoop: Spread;
  /** Collector stage durations by stage name (see STAGE_METRIC). */
  stages: Record<string, Spread>;
  /** Garbage-collection pauses of the main thread: how many, their total and the longest, in ms. */
  gc: { n: number; totalMs: number; maxMs: number };
}

const RESOLUTION_MS = 5;
const loopDelay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
loopDelay.enable();
const stageTimes = new Map<string, number[]>();
const gcPauses: number[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcPauses.push(e.duration);
}).observe({ entryTypes: ['gc'] });

function spread(values: number[]): Spread {
  const v = values.slice().sort((a, b) => a - b);
  const at = (p: number) => v[Math.min(v.length - 1, Math.floor(v.length * p))] ?? Number.NaN;
  return { n: v.length, p50: at(0.5), p99: at(0.99), max: v[v.length - 1] ?? Number.NaN };
}

function takeProbe(): Probe {
  // The histogram holds the whole interval between samples; the excess over the 5 ms asked is the delay.
  const late = (x: number) => Math.max(0, x / 1e6 - RESOLUTION_MS);
  const eventLoop = { n: loopDelay.count, p50: late(loopDelay.percentile(50)), p99: late(loopDelay.percentile(99)), max: late(loopDelay.max) };
  loopDelay.reset();
  const stages: Record<string, Spread> = {};
  for (const [stage, values] of stageTimes) stages[stage] = spread(values);
  stageTimes.clear();
  const gc = { n: gcPauses.length, totalMs: gcPauses.reduce((a, b) => a + b, 0), maxMs: Math.max(0, ...gcPauses) };
  gcPauses.length = 0;
  return { eventLoop, stages, gc };
}

/** The collector's telemetry, also keeping the stage timings for {@link takeProbe}. */
function observedTelemetry(): Telemetry {
  const base = createTelemetry();
  return {
    ...base,
    get meter() {
      return base.meter;
    },
    record(name, value, attrs) {
      if (name === STAGE_METRIC) {
        const stage = String(attrs?.stage);
        const list = stageTimes.get(stage);
        if (list) list.push(value);
        else stageTimes.set(stage, [value]);
      }
      base.record(name, value, attrs);
    },
  };
}

async function startNull(): Promise<{ address: string; stop(): Promise<void> }> {
  const server = createServer({ keepAlive: true }, (req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
    });
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '0', 'x-bytes': String(n) });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address() as AddressInfo;
  return { address: `http://127.0.0.1:${a.port}`, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function startCollector(brokers: string[]): Promise<{ address: string; stop(): Promise<void> }> {
  const logger = createLogger({ level: 'warn', name: 'bench-collector' });
  const bus = createKafkaBus({ brokers, clientId: 'bench-collector', logger, connectTimeoutMs: 20_000, defaultPartitions: 8 });
  await bus.connect();
  const topics = topicNames(`bench-${Date.now().toString(36)}.`);
  await bus.ensureTopics([topics.traces, topics.metrics, topics.logs].map((name) => ({ name, partitions: 8 })));
  const config = loadConfig({}, { otlpHttpPort: 0, otlpGrpcPort: 0, logLevel: 'warn' });
  const collector = createCollector({ bus, logger, telemetry: observedTelemetry(), topics }, config);
  await collector.start();
  return {
    address: collector.httpAddress(),
    async stop() {
      await collector.stop(5_000);
      await bus.close();
      // A run writes gigabytes: its topics go with it rather than filling the broker's disk.
      const admin = new Kafka({ clientId: 'bench-cleanup', brokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        await admin.deleteTopics({ topics: [topics.traces, topics.metrics, topics.logs], timeout: 10_000 });
      } finally {
        await admin.disconnect();
      }
    },
  };
}

const mode = process.argv[2] ?? 'collector';
const brokers = (process.argv[3] ?? '127.0.0.1:19092').split(',');
const server = mode === 'null' ? await startNull() : await startCollector(brokers);
process.stdout.write(`${JSON.stringify({ http: server.address })}\n`);
process.on('message', (m: unknown) => {
  if (m === 'probe') process.send?.(takeProbe());
});
process.once('SIGTERM', () => {
  server.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`stop failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
});
