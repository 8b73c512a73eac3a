/**
 * The bus over Apache Kafka (kafkajs): idempotent producers (two by
 * default, each with its own connection and one request in flight) with
 * acks=all and the default (murmur2) partitioner, fed by a group-commit
 * queue that puts concurrent publishes in one Produce request
 * (kafka-publish-queue.ts),
 * an admin client for topics and health, and one kafkajs consumer per
 * subscription (see kafka-consumer.ts).
 * Timeouts and retries are bounded so that a dead broker surfaces as a
 * {@link RetryableError} within seconds.
 */
import type { Logger } from 'pino';
import { withDeadline } from '../core/deadline.ts';
import { describeError, PermanentError, RetryableError } from '../core/errors.ts';
import type { Telemetry } from '../core/telemetry.ts';
import type { Bus, BusRecord, SubscribeOptions, Subscription } from './bus.ts';
import {
  createKafkaBusState,
  deleteGroup,
  ensureConnected,
  ensureTopics,
  implicitTopics,
  isRefusal,
  type KafkaBusState,
  unavailable,
} from './kafka-bus-state.ts';
import { type KafkaConsumerTuning, startKafkaSubscription } from './kafka-consumer.ts';
import { BUS_UNAVAILABLE, validateRecord } from './memory-bus.ts';

/** Options of {@link createKafkaBus}. */
export interface KafkaBusOptions {
  /** Bootstrap servers, `host:port`. */
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** How long {@link Bus.connect} keeps trying before it fails, in ms. */
  connectTimeoutMs: number;
  /** Partitions of topics created implicitly by publish or subscribe (default 8). */
  defaultPartitions?: number;
  /** Longest a publish waits for the broker's acknowledgement, retries included, in ms (default 10000). */
  publishTimeoutMs?: number;
  /**
   * Most record bytes coalesced into one Produce request (default 1,000,000:
   * under the broker's default `message.max.bytes` of 1 MiB + 12 with room
   * for batch headers); a larger publish goes alone.
   */
  maxProduceBytes?: number;
  /**
   * Produce requests in flight at once (default 2), each from its own
   * idempotent producer: kafkajs allows one per connection, and with one the
   * client and the broker take turns instead of working at the same time.
   * A publish's records stay in one request and in order; separate publishes
   * may be stored in either order.
   */
  producers?: number;
  /** Longest a ping waits, in ms (default 3000). */
  pingTimeoutMs?: number;
  /** Consumer tuning (see {@link KafkaConsumerTuning}). */
  consumer?: Partial<KafkaConsumerTuning>;
  /** When given, consumer restarts are counted on it (`zeroops.bus.consumer.restarts`, attribute `group`). */
  telemetry?: Telemetry;
}

/** Creates a {@link Bus} over Kafka. Nothing connects until {@link Bus.connect} (or the first publish). */
export function createKafkaBus(opts: KafkaBusOptions): Bus {
  const state = createKafkaBusState(opts);
  return {
    kind: 'kafka',
    connect: () => ensureConnected(state),
    ensureTopics: (specs) => ensureTopics(state, specs),
    partitionCount: (topic) => partitionCount(state, topic),
    publish: (topic, records) => publish(state, topic, records),
    subscribe: (sub) => subscribe(state, sub),
    ping: () => ping(state),
    close: () => close(state),
  };
}

async function partitionCount(state: KafkaBusState, topic: string): Promise<number> {
  await ensureConnected(state);
  try {
    const meta = await state.admin.fetchTopicMetadata({ topics: [topic] });
    return meta.topics[0]?.partitions.length ?? 0;
  } catch (err) {
    throw unavailable(state, `cannot describe topic ${topic}`, err);
  }
}

async function publish(state: KafkaBusState, topic: string, records: BusRecord[]): Promise<void> {
  const { queue, publishTimeoutMs } = state;
  if (state.closed) throw new RetryableError(BUS_UNAVAILABLE, `cannot publish to ${topic}: the Kafka bus (${state.where}) is closed`);
  for (const [i, r] of records.entries()) validateRecord(topic, r, i);
  if (records.length === 0) return;
  await implicitTopics(state, [topic]);
  const messages = records.map((r) => ({ key: r.key, value: Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength), headers: r.headers }));
  const queued = queue.enqueue(topic, messages);
  try {
    // Records still queued at the deadline are withdrawn: they were never sent and never will be.
    await withDeadline(publishTimeoutMs, () => queued.done, {
      onTimeout: () => {
        const waiting = queued.withdraw() ? `never sent, ${queue.waiting()} publishes still queued` : 'sent, unanswered';
        return new Error(`no acknowledgement within ${publishTimeoutMs} ms (${waiting})`);
      },
    });
  } catch (err) {
    if (isRefusal(err))
      throw new PermanentError('ZEROOPS_BUS_RECORD_REFUSED', `Kafka refused records for ${topic}: ${describeError(err)}`, { cause: err, statusCode: 413 });
    throw unavailable(state, `cannot publish ${records.length} records to ${topic}`, err);
  }
}

async function subscribe(state: KafkaBusState, sub: SubscribeOptions): Promise<Subscription> {
  if (sub.topics.length === 0) throw new PermanentError('ZEROOPS_BUS_BAD_SUBSCRIPTION', `group ${sub.groupId}: topics must not be empty`);
  await implicitTopics(state, sub.topics);
  let s: Subscription;
  try {
    s = await startKafkaSubscription({ kafka: state.kafka, logger: state.log, tuning: state.tuning, telemetry: state.opts.telemetry }, sub);
  } catch (err) {
    throw unavailable(state, `cannot join consumer group ${sub.groupId}`, err);
  }
  let stopped: Promise<void> | undefined;
  const tracked: Subscription = {
    assignment: () => s.assignment(),
    joined: () => s.joined(),
    stop: () => {
      stopped ??= (async () => {
        await s.stop();
        state.subs.delete(tracked);
        if (sub.transient) await deleteGroup(state, sub.groupId);
      })();
      return stopped;
    },
  };
  state.subs.add(tracked);
  return tracked;
}

async function ping(state: KafkaBusState): Promise<void> {
  const ms = state.opts.pingTimeoutMs ?? 3_000;
  try {
    await withDeadline(ms, () => ensureConnected(state).then(() => state.admin.describeCluster()), { onTimeout: () => new Error(`no answer within ${ms} ms`) });
  } catch (err) {
    throw err instanceof RetryableError ? err : unavailable(state, 'ping failed', err);
  }
}

async function close(state: KafkaBusState): Promise<void> {
  if (state.closed) return;
  state.closed = true;
  await Promise.allSettled([...state.subs].map((s) => s.stop()));
  const results = await Promise.allSettled([...state.producers.map((p) => p.disconnect()), state.admin.disconnect()]);
  for (const r of results) if (r.status === 'rejected') state.log.warn({ err: describeError(r.reason) }, 'kafka bus: disconnect failed');
}
