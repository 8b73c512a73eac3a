/**
 * The bus package's public surface: the {@link Bus} interface, both
 * implementations, the topic catalog, and the choice between them.
 */

import type { Logger } from 'pino';
import type { BusConfig } from '../core/component-config.ts';
import { PermanentError } from '../core/errors.ts';
import type { Telemetry } from '../core/telemetry.ts';
import type { Bus } from './bus.ts';
import { createKafkaBus } from './kafka-bus.ts';
import { createMemoryBus } from './memory-bus.ts';
import { TOPICS, type TopicId, topicNames } from './topics.ts';

export type { BatchContext, Bus, BusRecord, ConsumedRecord, SubscribeOptions, Subscription, TopicPartition, TopicSpec } from './bus.ts';
export { createKafkaBus, type KafkaBusOptions } from './kafka-bus.ts';
export type { KafkaConsumerTuning } from './kafka-consumer.ts';
export { BUS_UNAVAILABLE, createMemoryBus, type MemoryBusOptions } from './memory-bus.ts';
export {
  type AnomalyEvent,
  type AnomalyKind,
  type CallHint,
  type CallHintsMessage,
  decodeAnomaly,
  decodeCallHints,
  decodeFeedback,
  decodeOutcome,
  type EpisodeState,
  type Evidence,
  encodeAnomaly,
  encodeCallHints,
  encodeFeedback,
  encodeOutcome,
  type FeedbackEvent,
  type OutcomeEvent,
  type PeerEvidence,
  type RootCause,
  type Severity,
} from './messages.ts';
export { murmur2, partitionForKey } from './murmur2.ts';
export { TOPICS, type TopicDef, type TopicId, topicNames, UNKNOWN_SERVICE } from './topics.ts';

/**
 * The bus this process uses: Kafka when `config.kafkaBrokers` is non-empty
 * (client id `config.kafkaClientId`, connect deadline `config.connectTimeoutMs`,
 * implicit topics with `config.topicPartitions` partitions), otherwise the
 * in-process bus. Not yet connected: call {@link Bus.connect}.
 */
export function createBus(config: BusConfig, logger: Logger, telemetry?: Telemetry): Bus {
  if (config.kafkaBrokers.length > 0) {
    return createKafkaBus({
      brokers: config.kafkaBrokers,
      clientId: config.kafkaClientId,
      logger,
      connectTimeoutMs: config.connectTimeoutMs,
      defaultPartitions: config.topicPartitions,
      ...(telemetry ? { telemetry } : {}),
    });
  }
  return createMemoryBus({ partitions: config.topicPartitions, logger: logger.child({ component: 'memory-bus' }) });
}

/**
 * Room above the collector's largest decompressed body for what a record
 * adds around a resource: key, headers, record and batch framing, in bytes.
 */
export const RECORD_OVERHEAD_BYTES = 64 * 1024;

/**
 * Largest record the telemetry topics must take: one resource of the largest
 * request body the collector accepts (`config.maxDecompressedBytes`; a
 * resource never outgrows the body it came in, and OTLP/JSON shrinks when
 * turned into protobuf) plus {@link RECORD_OVERHEAD_BYTES}.
 */
export function telemetryMaxMessageBytes(config: Pick<BusConfig, 'maxDecompressedBytes'>): number {
  return config.maxDecompressedBytes + RECORD_OVERHEAD_BYTES;
}

/**
 * Creates every catalog topic under `config.topicPrefix` with
 * `config.topicPartitions` partitions (existing topics keep their partitions)
 * and gives the telemetry topics a message limit that fits any request the
 * collector accepts ({@link telemetryMaxMessageBytes}; raised on existing
 * topics whose limit is lower). Returns the prefixed names.
 */
export async function ensureCatalogTopics(
  bus: Bus,
  config: Pick<BusConfig, 'topicPrefix' | 'topicPartitions' | 'maxDecompressedBytes'>,
): Promise<Record<TopicId, string>> {
  const names = topicNames(config.topicPrefix);
  const telemetry = new Set<TopicId>(['traces', 'metrics', 'logs']);
  await bus.ensureTopics(
    (Object.keys(TOPICS) as TopicId[]).map((id) => ({
      name: names[id],
      partitions: config.topicPartitions,
      ...(telemetry.has(id) ? { maxMessageBytes: telemetryMaxMessageBytes(config) } : {}),
    })),
  );
  await assertCoPartitioned(bus, [names.traces, names.metrics, names.logs]);
  return names;
}

/**
 * Fails when the telemetry topics have different partition counts (topics
 * made by hand or by another tool): a service's traces, metrics and logs
 * would then land on different partition numbers, and so on different
 * detector replicas and checkpoints.
 */
async function assertCoPartitioned(bus: Bus, topics: string[]): Promise<void> {
  const counts = await Promise.all(topics.map((t) => bus.partitionCount(t)));
  const most = Math.max(...counts);
  if (counts.every((n) => n === most)) return;
  const listed = topics.map((t, i) => `${t} ${counts[i]}`).join(', ');
  throw new PermanentError(
    'ZEROOPS_TOPICS_NOT_CO_PARTITIONED',
    `the telemetry topics must have the same number of partitions (a service's traces, metrics and logs share one partition number), but they have: ${listed}. ` +
      `Raise the smaller ones to ${most} (kafka-topics.sh --alter --partitions ${most}; keys move to new partitions, so do it before traffic) or use fresh topics with another ZEROOPS_TOPIC_PREFIX.`,
  );
}
