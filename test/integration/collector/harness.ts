/**
 * Shared set-up of the collector integration tests: a real Kafka bus on the
 * test broker (unique topic prefix per test file), a collector on ephemeral
 * ports, and a reader that collects a topic's records.
 */
import type { Bus, ConsumedRecord, Subscription } from '../../../services/bus/bus.ts';
import { telemetryMaxMessageBytes } from '../../../services/bus/index.ts';
import { createKafkaBus } from '../../../services/bus/kafka-bus.ts';
import { type TopicId, topicNames } from '../../../services/bus/topics.ts';
import { type Collector, createCollector } from '../../../services/collector/index.ts';
import { type Config, createTelemetry, loadConfig, silentLogger, type Telemetry } from '../../../services/core/index.ts';
import { assertKafkaReachable, testKafkaBrokers, uniqueName } from '../../helpers/kafka.ts';

/** A running collector and what it talks to. */
export interface Harness {
  bus: Bus;
  collector: Collector;
  telemetry: Telemetry;
  topics: Record<TopicId, string>;
  config: Config;
  stop(): Promise<void>;
}

/**
 * Connects a Kafka bus to `brokers` (default: the test broker, which must be
 * up: the test fails asking for `make kafka-up` otherwise) and starts a
 * collector with `overrides` on ephemeral ports.
 */
export async function startHarness(overrides: Partial<Config> = {}, brokers?: string[]): Promise<Harness> {
  if (!brokers) await assertKafkaReachable();
  const list = brokers ?? testKafkaBrokers();
  const telemetry = createTelemetry();
  const bus = createKafkaBus({
    brokers: list,
    clientId: 'collector-test',
    logger: silentLogger(),
    connectTimeoutMs: 20_000,
    publishTimeoutMs: 5_000,
    defaultPartitions: 2,
    telemetry,
  });
  await bus.connect();
  const topics = topicNames(`${uniqueName('col')}.`);
  const config = loadConfig({}, { otlpHttpPort: 0, otlpGrpcPort: 0, collectorPublishTimeoutMs: 8_000, ...overrides });
  // As ensureCatalogTopics makes them in production: a message limit that fits any request the collector accepts.
  const maxMessageBytes = telemetryMaxMessageBytes(config);
  await bus.ensureTopics([topics.traces, topics.metrics, topics.logs].map((name) => ({ name, partitions: 2, maxMessageBytes })));
  const collector = createCollector({ bus, logger: silentLogger(), telemetry, topics }, config);
  await collector.start();
  return {
    bus,
    collector,
    telemetry,
    topics,
    config,
    async stop() {
      await collector.stop(5_000);
      await bus.close();
    },
  };
}

/** Collects records of `topic` from the beginning (a fresh consumer group). */
export class TopicReader {
  readonly records: ConsumedRecord[] = [];
  private sub?: Subscription;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly bus: Bus,
    private readonly topic: string,
  ) {}

  async start(): Promise<this> {
    this.sub = await this.bus.subscribe({
      groupId: uniqueName('reader'),
      topics: [this.topic],
      eachBatch: async (recs) => {
        this.records.push(...recs);
        for (const w of this.waiters.splice(0)) w();
      },
    });
    return this;
  }

  /** Resolves once `pred(records)` holds; rejects after `timeoutMs` with what was seen. */
  async waitFor(pred: (r: ConsumedRecord[]) => boolean, timeoutMs = 30_000): Promise<ConsumedRecord[]> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.records)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        const assigned = this.sub?.assignment().map((tp) => tp.partition) ?? [];
        throw new Error(
          `topic ${this.topic}: condition not met after ${timeoutMs} ms (${this.records.length} records, partitions assigned: [${assigned.join(',')}])`,
        );
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.records;
  }

  async stop(): Promise<void> {
    await this.sub?.stop();
  }
}

/**
 * Normalises an OTLP/JSON value for comparison: drops default values (as
 * protobuf does not send them), writes every number as a string (int64
 * fields may be numbers or strings in OTLP/JSON) and lowercases hex.
 */
export function normalize(v: unknown): unknown {
  if (Array.isArray(v)) {
    const a = v.map(normalize);
    return a.length === 0 ? undefined : a;
  }
  if (typeof v === 'number') return v === 0 ? undefined : String(v);
  if (typeof v === 'string') return v === '' || v === '0' ? undefined : v;
  if (v === false || v === null || v === undefined) return undefined;
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const n = normalize(x);
      if (n !== undefined) out[k] = n;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return v;
}
