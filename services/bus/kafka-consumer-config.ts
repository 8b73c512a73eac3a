/** The kafkajs consumer settings of one generation of a Kafka subscription (see kafka-consumer.ts). */
import { coPartitionedAssigner } from './kafka-assigner.ts';
import type { KafkaConsumerTuning } from './kafka-consumer.ts';
import { type ConsumerConfig, PartitionAssigners } from './kafkajs.ts';

/**
 * Settings of a kafkajs consumer in `groupId` with a session timeout of
 * `sessionTimeout` ms; rebalance timeout and heartbeat interval follow from it.
 */
export function consumerConfig(groupId: string, sessionTimeout: number, tuning: KafkaConsumerTuning): ConsumerConfig {
  return {
    groupId,
    sessionTimeout,
    // A member busy in a batch must rejoin within this; twice the session keeps a slow batch from being kicked needlessly.
    rebalanceTimeout: Math.max(2 * sessionTimeout, 5_000),
    heartbeatInterval: Math.min(3_000, Math.max(100, Math.floor(sessionTimeout / 10))),
    maxWaitTimeInMs: tuning.fetchMaxWaitMs,
    allowAutoTopicCreation: false,
    // Partition p of every topic to one member (a service's signals stay together); round-robin only while older members remain.
    partitionAssigners: [coPartitionedAssigner, PartitionAssigners.roundRobin],
    // kafkajs restarts only after some errors and then reuses the crashed consumer; we restart after every crash, with a fresh one.
    retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 5, restartOnFailure: async () => false },
  };
}
