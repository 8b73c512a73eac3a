/**
 * The bus package's public surface: the {@link Bus} interface, both
 * implementations, the topic catalog, and the choice between them.
 */
import type { Telemetry } from '../core/telemetry.ts';
import type { Logger } from 'pino';
import type { Config } from '../core/config.ts';
import type { Bus } from './bus.ts';
import { createKafkaBus } from './kafka-bus.ts';
import { createMemoryBus } from './memory-bus.ts';
import { TOPICS, type TopicId, topicNames } from './topics.ts';

export type { BatchContext, Bus, BusRecord, ConsumedRecord, SubscribeOptions, Subscription, TopicPartition, TopicSpec } from './bus.ts';
export { createKafkaBus, type KafkaBusOptions } from './kafka-bus.ts';
export type { KafkaConsumerTuning } from './kafka-consumer.ts';
export { BUS_UNAVAILABLE, createMemoryBus, type MemoryBusOptions } from './memory-bus.ts';
export * from './messages.ts';
export { murmur2, partitionForKey } from './murmur2.ts';
export { TOPICS, type TopicDef, type TopicId, topicNames, UNKNOWN_SERVICE } from './topics.ts';

/**
 * The bus this process uses: Kafka when `config.kafkaBrokers` is non-empty
 * (client id `config.kafkaClientId`, connect deadline `config.connectTimeoutMs`,
 * implicit topics with `config.topicPartitions` partitions), otherwise the
 * in-process bus. Not yet connected: call {@link Bus.connect}.
 */
export function createBus(config: Config, logger: Logger, telemetry?: Telemetry): Bus {
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
 * Creates every catalog topic under `config.topicPrefix` with
 * `config.topicPartitions` partitions (existing topics are left as they are).
 * Returns the prefixed names.
 */
export async function ensureCatalogTopics(bus: Bus, config: Pick<Config, 'topicPrefix' | 'topicPartitions'>): Promise<Record<TopicId, string>> {
  const names = topicNames(config.topicPrefix);
  await bus.ensureTopics((Object.keys(TOPICS) as TopicId[]).map((id) => ({ name: names[id], partitions: config.topicPartitions })));
  return names;
}
