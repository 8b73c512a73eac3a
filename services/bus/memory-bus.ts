/**
 * The in-process bus of the embedded mode: same semantics as the Kafka
 * topics (keys -> partitions with Kafka's murmur2 partitioner, offsets,
 * consumer groups sharing partitions, commit after processing,
 * at-least-once redelivery), no I/O.
 */
import type { Logger } from 'pino';
import { PermanentError, RetryableError } from '../core/errors.ts';
import { silentLogger } from '../core/logger.ts';
import type { Bus, BusRecord, SubscribeOptions, Subscription, TopicSpec } from './bus.ts';
import { type GroupEnv, MemoryGroup } from './memory-group.ts';
import { MemoryTopic } from './memory-log.ts';
import { MemoryMember } from './memory-member.ts';
import { partitionForKey } from './murmur2.ts';
import { tpKey } from './partitions.ts';

/** Options of {@link createMemoryBus}. */
export interface MemoryBusOptions {
  /** Partitions of topics created implicitly (by publish or subscribe). Default 8. */
  partitions?: number;
  /** Logger (default: silent). */
  logger?: Logger;
  /** First back-off before redelivering a batch whose handler threw, in ms (default 100); doubles per failure. */
  retryBackoffMs?: number;
  /** Largest back-off before a redelivery, in ms (default 5000). */
  maxRetryBackoffMs?: number;
  /**
   * Records to keep per partition once every group that reads the topic has
   * committed past them (default: keep everything). A group that starts
   * later begins at the oldest record kept, as with Kafka's retention.
   */
  retainCommittedRecords?: number;
}

/** Error code of publishing to a closed bus (and of the Kafka bus when brokers are unavailable). */
export const BUS_UNAVAILABLE = 'ZEROOPS_BUS_UNAVAILABLE';

/** Checks one record's shape; throws a {@link PermanentError} naming what is wrong. */
export function validateRecord(topic: string, rec: BusRecord, i: number): void {
  if (typeof rec.key !== 'string') throw new PermanentError('ZEROOPS_BUS_BAD_RECORD', `record ${i} for topic ${topic}: key must be a string`);
  if (!(rec.value instanceof Uint8Array)) throw new PermanentError('ZEROOPS_BUS_BAD_RECORD', `record ${i} for topic ${topic}: value must be a Uint8Array`);
}

/** Creates an in-process {@link Bus}. Everything it holds lives in this process only. */
export function createMemoryBus(opts: MemoryBusOptions = {}): Bus {
  const defaultPartitions = opts.partitions ?? 8;
  const retain = opts.retainCommittedRecords ?? Infinity;
  const logger = opts.logger ?? silentLogger();
  const topics = new Map<string, MemoryTopic>();
  const groups = new Map<string, MemoryGroup>();
  const members = new Set<MemoryMember>();
  let closed = false;
  let seq = 0;

  const topicOf = (name: string, partitions = defaultPartitions): MemoryTopic => {
    let t = topics.get(name);
    if (!t) {
      t = new MemoryTopic(name, partitions);
      topics.set(name, t);
    }
    return t;
  };

  const applyRetention = (topicName: string, partition: number): void => {
    if (!Number.isFinite(retain)) return;
    const log = topicOf(topicName).logs[partition]!;
    let boundary = log.end;
    for (const g of groups.values()) {
      if (g.topics.has(topicName)) boundary = Math.min(boundary, g.committed.get(tpKey(topicName, partition)) ?? log.start);
    }
    // Trim in chunks so that each commit does not shift the whole array.
    if (boundary - retain - log.start >= Math.max(1, Math.floor(retain / 2))) log.dropBelow(boundary - retain);
  };

  const env: GroupEnv = {
    topic: (name) => topicOf(name),
    logger,
    retryBackoffMs: opts.retryBackoffMs ?? 100,
    maxRetryBackoffMs: opts.maxRetryBackoffMs ?? 5_000,
    onCommit: applyRetention,
  };

  const assertOpen = (what: string): void => {
    if (closed) throw new RetryableError(BUS_UNAVAILABLE, `cannot ${what}: the in-process bus is closed`);
  };

  return {
    kind: 'memory',

    async connect() {
      assertOpen('connect');
    },

    async ensureTopics(specs: TopicSpec[]) {
      assertOpen('create topics');
      for (const s of specs) {
        if (!Number.isInteger(s.partitions) || s.partitions < 1) {
          throw new PermanentError('ZEROOPS_BUS_BAD_TOPIC', `topic ${s.name}: partitions must be a positive integer, got ${s.partitions}`);
        }
        topicOf(s.name, s.partitions);
      }
    },

    async partitionCount(topicName: string) {
      assertOpen(`describe ${topicName}`);
      return topicOf(topicName).logs.length;
    },

    async publish(topicName: string, records: BusRecord[]) {
      assertOpen(`publish to ${topicName}`);
      for (const [i, r] of records.entries()) validateRecord(topicName, r, i);
      const topic = topicOf(topicName);
      const now = Date.now();
      for (const r of records) {
        const log = topic.logs[partitionForKey(r.key, topic.logs.length)]!;
        log.append({ key: r.key, value: r.value, headers: { ...(r.headers ?? {}) }, timestamp: now });
      }
      for (const m of members) if (m.topics.includes(topicName)) m.wake();
    },

    async subscribe(sub: SubscribeOptions): Promise<Subscription> {
      assertOpen(`subscribe group ${sub.groupId}`);
      if (sub.topics.length === 0) throw new PermanentError('ZEROOPS_BUS_BAD_SUBSCRIPTION', `group ${sub.groupId}: topics must not be empty`);
      for (const t of sub.topics) topicOf(t);
      let group = groups.get(sub.groupId);
      if (!group) {
        group = new MemoryGroup(sub.groupId, env);
        groups.set(sub.groupId, group);
        // A transient group starts at the end of each partition, as Kafka's `latest`.
        if (sub.transient) for (const t of sub.topics) for (const [p, log] of topicOf(t).logs.entries()) group.committed.set(tpKey(t, p), log.end);
      }
      const joined = group;
      const member = new MemoryMember(++seq, sub, group, env, (m) => {
        members.delete(m);
        if (sub.transient && joined.size === 0 && groups.get(sub.groupId) === joined) groups.delete(sub.groupId);
      });
      members.add(member);
      await member.start();
      return member;
    },

    async ping() {
      // The in-process bus is reachable for as long as the process runs.
    },

    async close() {
      closed = true;
      await Promise.all([...members].map((m) => m.stop()));
    },
  };
}
