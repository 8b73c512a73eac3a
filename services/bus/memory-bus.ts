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

/** The state of one in-process bus, shared by its operations. Owned by its `createMemoryBus`. */
interface MemoryBusState {
  /** Partitions of topics created implicitly. */
  readonly defaultPartitions: number;
  /** Records kept per partition behind the slowest group's commit (Infinity: all). */
  readonly retain: number;
  readonly topics: Map<string, MemoryTopic>;
  readonly groups: Map<string, MemoryGroup>;
  readonly members: Set<MemoryMember>;
  /** What the groups and members of this bus run on. */
  readonly env: GroupEnv;
  closed: boolean;
  /** The id of the last member made. */
  seq: number;
}

/** Creates an in-process {@link Bus}. Everything it holds lives in this process only. */
export function createMemoryBus(opts: MemoryBusOptions = {}): Bus {
  const state = createMemoryBusState(opts);
  return {
    kind: 'memory',
    async connect() {
      assertOpen(state, 'connect');
    },
    ensureTopics: async (specs) => ensureTopics(state, specs),
    async partitionCount(topicName: string) {
      assertOpen(state, `describe ${topicName}`);
      return topicOf(state, topicName).logs.length;
    },
    publish: async (topicName, records) => publish(state, topicName, records),
    subscribe: (sub) => subscribe(state, sub),
    async ping() {
      // The in-process bus is reachable for as long as the process runs.
    },
    async close() {
      state.closed = true;
      await Promise.all([...state.members].map((m) => m.stop()));
    },
  };
}

function createMemoryBusState(opts: MemoryBusOptions): MemoryBusState {
  const logger = opts.logger ?? silentLogger();
  const env: GroupEnv = {
    topic: (name) => topicOf(state, name),
    logger,
    retryBackoffMs: opts.retryBackoffMs ?? 100,
    maxRetryBackoffMs: opts.maxRetryBackoffMs ?? 5_000,
    onCommit: (topicName, partition) => applyRetention(state, topicName, partition),
  };
  const state: MemoryBusState = {
    defaultPartitions: opts.partitions ?? 8,
    retain: opts.retainCommittedRecords ?? Infinity,
    topics: new Map(),
    groups: new Map(),
    members: new Set(),
    env,
    closed: false,
    seq: 0,
  };
  return state;
}

function topicOf(state: MemoryBusState, name: string, partitions = state.defaultPartitions): MemoryTopic {
  let t = state.topics.get(name);
  if (!t) {
    t = new MemoryTopic(name, partitions);
    state.topics.set(name, t);
  }
  return t;
}

function applyRetention(state: MemoryBusState, topicName: string, partition: number): void {
  const { retain } = state;
  if (!Number.isFinite(retain)) return;
  const log = topicOf(state, topicName).logs[partition]!;
  let boundary = log.end;
  for (const g of state.groups.values()) {
    if (g.topics.has(topicName)) boundary = Math.min(boundary, g.committed.get(tpKey(topicName, partition)) ?? log.start);
  }
  // Trim in chunks so that each commit does not shift the whole array.
  if (boundary - retain - log.start >= Math.max(1, Math.floor(retain / 2))) log.dropBelow(boundary - retain);
}

function assertOpen(state: MemoryBusState, what: string): void {
  if (state.closed) throw new RetryableError(BUS_UNAVAILABLE, `cannot ${what}: the in-process bus is closed`);
}

function ensureTopics(state: MemoryBusState, specs: TopicSpec[]): void {
  assertOpen(state, 'create topics');
  for (const s of specs) {
    if (!Number.isInteger(s.partitions) || s.partitions < 1) {
      throw new PermanentError('ZEROOPS_BUS_BAD_TOPIC', `topic ${s.name}: partitions must be a positive integer, got ${s.partitions}`);
    }
    topicOf(state, s.name, s.partitions);
  }
}

function publish(state: MemoryBusState, topicName: string, records: BusRecord[]): void {
  assertOpen(state, `publish to ${topicName}`);
  for (const [i, r] of records.entries()) validateRecord(topicName, r, i);
  const topic = topicOf(state, topicName);
  const now = Date.now();
  for (const r of records) {
    const log = topic.logs[partitionForKey(r.key, topic.logs.length)]!;
    log.append({ key: r.key, value: r.value, headers: { ...(r.headers ?? {}) }, timestamp: now });
  }
  for (const m of state.members) if (m.topics.includes(topicName)) m.wake();
}

async function subscribe(state: MemoryBusState, sub: SubscribeOptions): Promise<Subscription> {
  assertOpen(state, `subscribe group ${sub.groupId}`);
  if (sub.topics.length === 0) throw new PermanentError('ZEROOPS_BUS_BAD_SUBSCRIPTION', `group ${sub.groupId}: topics must not be empty`);
  for (const t of sub.topics) topicOf(state, t);
  const { groups, members } = state;
  let group = groups.get(sub.groupId);
  if (!group) {
    group = new MemoryGroup(sub.groupId, state.env);
    groups.set(sub.groupId, group);
    // A transient group starts at the end of each partition, as Kafka's `latest`.
    if (sub.transient) for (const t of sub.topics) for (const [p, log] of topicOf(state, t).logs.entries()) group.committed.set(tpKey(t, p), log.end);
  }
  const joined = group;
  const member = new MemoryMember(++state.seq, sub, group, state.env, (m) => {
    members.delete(m);
    if (sub.transient && joined.size === 0 && groups.get(sub.groupId) === joined) groups.delete(sub.groupId);
  });
  members.add(member);
  await member.start();
  return member;
}
