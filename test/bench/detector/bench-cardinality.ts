/**
 * Cardinality mode of `make bench-detector`: the whole detector component
 * (in-process bus, embedded store in memory, seasonal models) receives one
 * span from each of N services with random names, under the service cap.
 * Prints what it tracks and refuses, the memory its services' state holds
 * (heap plus array buffers freed when every service has gone idle and been
 * evicted, per tracked service; and the RSS growth), and the checkpoint size.
 */
import { randomBytes } from 'node:crypto';
import { createMemoryBus, ensureCatalogTopics } from '../../../services/bus/index.ts';
import { loadConfig } from '../../../services/core/config.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { createTelemetry } from '../../../services/core/telemetry.ts';
import { createDetector } from '../../../services/detector/index.ts';
import { encodeResource } from '../../../services/otlp/index.ts';
import { createStore, detectorCheckpoints, type Store } from '../../../services/store/index.ts';

const WINDOW_MS = 10_000;

function record(service: string, ms: number): Uint8Array {
  const t = String(BigInt(ms) * 1_000_000n);
  const s = String(BigInt(ms - 20) * 1_000_000n);
  return encodeResource('traces', {
    resource: {
      attributes: [
        { key: 'service.name', value: { stringValue: service } },
        { key: 'deployment.environment', value: { stringValue: 'prod' } },
      ],
    },
    scopeSpans: [
      {
        scope: { name: 'bench' },
        spans: [{ traceId: '0a'.repeat(16), spanId: '0b'.repeat(8), kind: 2, name: 'GET /', startTimeUnixNano: s, endTimeUnixNano: t }],
      },
    ],
  });
}

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;

/** Services named in checkpoint rows now. */
async function checkpointed(store: Store): Promise<{ services: number; bytes: number }> {
  const rows = await store.db.select().from(detectorCheckpoints);
  let services = 0;
  let bytes = 0;
  for (const r of rows) {
    services += Object.keys((r.state as { models?: object }).models ?? {}).length;
    bytes += JSON.stringify(r.state).length;
  }
  return { services, bytes };
}

/**
 * Runs the cardinality mode with `n` services and a cap of `cap`; `heap()`
 * measures heap plus array buffers after a full GC.
 */
export async function benchCardinality(n: number, cap: number, heap: () => number): Promise<void> {
  const config = loadConfig({
    ZEROOPS_TOPIC_PARTITIONS: '4',
    ZEROOPS_DETECTOR_NEURAL: 'false',
    ZEROOPS_DETECTOR_MAX_SERVICES: String(cap),
    ZEROOPS_DETECTOR_IDLE_EVICT_SECONDS: '600',
    ZEROOPS_DETECTOR_CHECKPOINT_SECONDS: '10',
  });
  const store = await createStore({ databaseUrl: '', dataDir: ':memory:', poolSize: 1, connectTimeoutMs: 10_000, logger: silentLogger() });
  const bus = createMemoryBus({ partitions: 4, retainCommittedRecords: 0 });
  await bus.connect();
  const topics = await ensureCatalogTopics(bus, config);
  const clock = { wall: Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS + 2_000 };
  const detector = createDetector(
    { bus, store, logger: silentLogger(), telemetry: createTelemetry(), topics, now: () => clock.wall, handoverWaitMs: 0 },
    config,
  );
  await detector.start();
  const before = heap();
  const rssBefore = process.memoryUsage().rss;
  for (let i = 0; i < n; i += 2000) {
    const recs = [];
    for (let k = i; k < Math.min(n, i + 2000); k++) {
      const name = `svc-${randomBytes(8).toString('hex')}`;
      recs.push({ key: name, value: record(name, clock.wall - 1_000) });
    }
    await bus.publish(topics.traces, recs);
  }
  const taken = () => {
    const s = detector.serviceStats();
    return s.tracked + s.refusedRecords;
  };
  while (taken() < n) await new Promise((r) => setTimeout(r, 50));
  clock.wall += 3 * WINDOW_MS;
  await detector.flush(); // every window closes and is scored: the services now hold model state
  const held = heap() - before;
  const rss = process.memoryUsage().rss - rssBefore;
  const s = detector.serviceStats();
  let cp = await checkpointed(store);
  while (cp.services < s.tracked) {
    await new Promise((r) => setTimeout(r, 500));
    cp = await checkpointed(store);
  }
  clock.wall += 1_200_000; // all idle for 20 minutes: evicted
  await detector.flush();
  const evicted = heap() - before;
  const after = detector.serviceStats();
  console.log(`\n== cardinality: ${n.toLocaleString('en')} services with random names, cap ${cap.toLocaleString('en')} ==`);
  console.log(
    `tracked          ${s.tracked.toLocaleString('en')} (windows ${s.windowServices}, models ${s.modelServices}); refused ${s.refusedRecords.toLocaleString('en')} records of about ${s.refusedServices.toLocaleString('en')} services`,
  );
  const state = held - evicted;
  console.log(
    `memory           ${mb(state)} of heap + array buffers held by the tracked services' state (freed by their eviction): ${(state / Math.max(1, s.tracked) / 1024).toFixed(1)} KB per tracked service; RSS +${mb(rss)} over the run`,
  );
  console.log(
    `checkpoint       ${mb(cp.bytes)} of JSON for ${cp.services.toLocaleString('en')} services (${(cp.bytes / Math.max(1, cp.services) / 1024).toFixed(1)} KB each)`,
  );
  console.log(`after eviction   tracked ${after.tracked}, evicted ${after.evicted.toLocaleString('en')}`);
  await detector.stop();
  await bus.close();
  await store.close();
}
