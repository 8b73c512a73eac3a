/**
 * The bus: keyed, partitioned, at-least-once topics. Two implementations
 * exist (`kafka-bus.ts` over kafkajs, `memory-bus.ts` in process) and pass
 * the same contract tests; no other code knows which one runs.
 */

/** A record to publish. `value` is owned by the bus after the call. */
export interface BusRecord {
  /** Partitioning key: records with one key keep their order. */
  key: string;
  value: Uint8Array;
  headers?: Record<string, string>;
}

/** A record delivered to a consumer. */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  /** Offset within the partition, as a decimal string (Kafka offsets are 64-bit). */
  offset: string;
  key: string;
  value: Uint8Array;
  headers: Record<string, string>;
  /** Time the record was appended, in Unix milliseconds. */
  timestamp: number;
}

/** A topic and its partition count, for {@link Bus.ensureTopics}. */
export interface TopicSpec {
  name: string;
  partitions: number;
  /**
   * Largest record (batch) the topic must take, in bytes (Kafka topic config
   * `max.message.bytes`, raised on an existing topic whose limit is lower).
   * Default: the broker's (1 MiB on a stock Kafka). The in-process bus has no limit.
   */
  maxMessageBytes?: number;
}

/** A topic-partition. */
export interface TopicPartition {
  topic: string;
  partition: number;
}

/** Context of one batch handed to a consumer. */
export interface BatchContext {
  topic: string;
  partition: number;
  /** Tells the group this member is alive during long processing. */
  heartbeat(): Promise<void>;
  /** Aborted when the consumer stops or loses the partition. */
  signal: AbortSignal;
}

/** How to consume. */
export interface SubscribeOptions {
  /** Consumer group: members of one group share the partitions; each record goes to one member. */
  groupId: string;
  topics: string[];
  /**
   * Processes records of ONE partition, in offset order. The offsets are
   * committed only after it resolves; if it throws, the same records are
   * delivered again (after a back-off), to this member or, after a
   * rebalance, to another.
   */
  eachBatch(records: ConsumedRecord[], ctx: BatchContext): Promise<void>;
  /** Called after partitions are assigned to this member (e.g. to restore state). */
  onAssigned?(partitions: TopicPartition[]): Promise<void> | void;
  /** Called before partitions are taken away (e.g. to checkpoint state). */
  onRevoked?(partitions: TopicPartition[]): Promise<void> | void;
  /** A member silent this long is considered dead and its partitions move (default 10 s). */
  sessionTimeoutMs?: number;
  /** Largest batch handed to `eachBatch` (default 500). */
  maxBatchSize?: number;
  /**
   * A group for this run only, for a member that must see every record
   * published while it runs (a broadcast read under a group of its own):
   * a new group starts at the end of each partition instead of its
   * beginning, and the group and its committed offsets are deleted when its
   * last member stops, instead of lingering on the broker until offsets
   * retention. Default false.
   */
  transient?: boolean;
}

/** A running group member. */
export interface Subscription {
  /** Partitions currently assigned to this member. */
  assignment(): TopicPartition[];
  /**
   * True while this member belongs to its group: after its join completed and
   * until it stops, or (Kafka) while its consumer is crashed and rejoining.
   * A member may be joined with no partitions (more members than partitions).
   */
  joined(): boolean;
  /** Leaves the group after the in-flight batch finishes and its offsets are committed (idempotent). */
  stop(): Promise<void>;
}

/** The message bus. */
export interface Bus {
  /** `kafka` or `memory`, for logs and /readyz only. */
  readonly kind: 'kafka' | 'memory';
  /** Connects (Kafka: producer and admin); fails with a message naming the brokers when unreachable. */
  connect(): Promise<void>;
  /** Creates missing topics (idempotent). */
  ensureTopics(topics: TopicSpec[]): Promise<void>;
  /** Number of partitions of an existing topic (Kafka: from the broker's metadata). */
  partitionCount(topic: string): Promise<number>;
  /** Resolves once every record is durably appended (Kafka: acks=all); rejects with a RetryableError when the bus is down or slow. */
  publish(topic: string, records: BusRecord[]): Promise<void>;
  /** Joins `groupId` and starts delivering. */
  subscribe(opts: SubscribeOptions): Promise<Subscription>;
  /** Rejects when the bus is not reachable (for /readyz). */
  ping(): Promise<void>;
  /** Stops every subscription and disconnects (idempotent). */
  close(): Promise<void>;
}
