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
import type { Bus, BusRecord, SubscribeOptions, Subscription, TopicSpec } from './bus.ts';
import { type KafkaConsumerTuning, startKafkaSubscription } from './kafka-consumer.ts';
import { KAFKA_LOG_LEVEL, kafkaLogCreator } from './kafka-logging.ts';
import { PublishQueue } from './kafka-publish-queue.ts';
import {
  type Admin,
  ConfigResourceTypes,
  ConfigSource,
  type DescribeConfigResponse,
  Kafka,
  type KafkaJSProtocolError,
  kafkaCrc32c,
  Partitioners,
  type Producer,
} from './kafkajs.ts';
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

/** Protocol errors that no retry can fix: the record itself is refused. */
const REFUSED = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE']);

/** Whether `err` (or an error it wraps: kafkajs' retrier wraps what it will not retry) is one of {@link REFUSED}. */
function isRefusal(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const type = (e as Partial<KafkaJSProtocolError>).type;
    if (type !== undefined && REFUSED.has(type)) return true;
  }
  return false;
}

const MAX_MESSAGE_BYTES = 'max.message.bytes';

/** Polls topic metadata until every partition of `topics` has a leader; metadata errors that may pass are retried until `withinMs`. */
async function waitForLeaders(admin: Admin, topics: string[], withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  let last: unknown = new Error('partitions without a leader');
  while (Date.now() < deadline) {
    try {
      const meta = await admin.fetchTopicMetadata({ topics });
      if (meta.topics.length === topics.length && meta.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (err) {
      if (!(err instanceof Error && (err as { retriable?: boolean }).retriable === true)) throw err;
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`topics ${topics.join(', ')} have no leader for every partition within ${withinMs} ms: ${describeError(last)}`, { cause: last });
}

/**
 * Raises `max.message.bytes` of existing topics whose limit is below their
 * spec's (a topic made by an older version, by auto-creation or by hand).
 * AlterConfigs replaces a topic's whole set of overrides, so the topic's
 * other overrides are sent along unchanged. A higher limit is left alone.
 */
async function raiseMessageLimits(admin: Admin, specs: TopicSpec[], log: Logger): Promise<void> {
  const wanted = new Map(specs.filter((s) => s.maxMessageBytes !== undefined).map((s) => [s.name, s.maxMessageBytes as number]));
  if (wanted.size === 0) return;
  const described: DescribeConfigResponse = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [...wanted.keys()].map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
  });
  for (const r of described.resources) {
    const want = wanted.get(r.resourceName);
    const current = r.configEntries.find((e) => e.configName === MAX_MESSAGE_BYTES);
    if (want === undefined || (current !== undefined && Number(current.configValue) >= want)) continue;
    const overrides = r.configEntries
      .filter((e) => e.configSource === ConfigSource.TOPIC_CONFIG && e.configName !== MAX_MESSAGE_BYTES && !e.isSensitive)
      .map((e) => ({ name: e.configName, value: e.configValue }));
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: r.resourceName, configEntries: [...overrides, { name: MAX_MESSAGE_BYTES, value: String(want) }] }],
    });
    log.info({ topic: r.resourceName, from: current?.configValue, to: want }, 'kafka bus: raised the topic message limit');
  }
}

/** Creates a {@link Bus} over Kafka. Nothing connects until {@link Bus.connect} (or the first publish). */
export function createKafkaBus(opts: KafkaBusOptions): Bus {
  const where = opts.brokers.join(',');
  const log = opts.logger.child({ component: 'kafka-bus' });
  if (kafkaCrc32c !== 'native') log.warn('kafka bus: @node-rs/crc32 has no native binding here; record batches use kafkajs JavaScript CRC32C (slower)');
  const publishTimeoutMs = opts.publishTimeoutMs ?? 10_000;
  const tuning: KafkaConsumerTuning = {
    fetchMaxWaitMs: 500,
    retryBackoffMs: 200,
    maxRetryBackoffMs: 5_000,
    restartBackoffMs: 500,
    maxRestartBackoffMs: 10_000,
    ...opts.consumer,
  };
  const kafka = new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    connectionTimeout: Math.min(3_000, opts.connectTimeoutMs),
    requestTimeout: publishTimeoutMs,
    retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 3 },
    logLevel: KAFKA_LOG_LEVEL,
    logCreator: kafkaLogCreator(opts.logger),
  });
  const producers: Producer[] = Array.from({ length: opts.producers ?? 2 }, () =>
    kafka.producer({
      idempotent: true,
      // kafkajs follows KIP-98's first rule for idempotence: one request in flight per connection.
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    }),
  );
  const admin: Admin = kafka.admin();
  const queue = new PublishQueue({
    send: async (topicMessages, slot) => {
      await (producers[slot] as Producer).sendBatch({ topicMessages, acks: -1, timeout: publishTimeoutMs });
    },
    slots: producers.length,
    maxSendBytes: opts.maxProduceBytes ?? 1_000_000,
    isRefusal,
  });
  const subs = new Set<Subscription>();
  const known = new Set<string>();
  let connecting: Promise<void> | null = null;
  let closed = false;

  const unavailable = (what: string, cause: unknown): RetryableError =>
    new RetryableError(BUS_UNAVAILABLE, `${what} on Kafka at ${where}: ${describeError(cause)}`, { cause, retryAfterMs: 1_000 });

  const connectOnce = async (): Promise<void> => {
    const deadline = Date.now() + opts.connectTimeoutMs;
    const timedOut = () => new Error(`no answer within ${opts.connectTimeoutMs} ms`);
    // The broker's own error (e.g. ECONNREFUSED) says more than our timeout, so it wins when we have one.
    let last: unknown;
    while (Date.now() < deadline && !closed) {
      try {
        await withDeadline(Math.max(1, deadline - Date.now()), () => Promise.all([admin.connect(), ...producers.map((p) => p.connect())]), {
          onTimeout: timedOut,
        });
        await withDeadline(Math.max(1, deadline - Date.now()), () => admin.describeCluster(), { onTimeout: timedOut });
        return;
      } catch (err) {
        if (last === undefined || !(err instanceof Error && err.message === timedOut().message)) last = err;
        log.debug({ err: describeError(err) }, 'kafka bus: connect attempt failed; retrying');
        await new Promise((r) => setTimeout(r, Math.min(250, Math.max(0, deadline - Date.now()))));
      }
    }
    await Promise.allSettled([...producers.map((p) => p.disconnect()), admin.disconnect()]);
    throw new RetryableError(
      BUS_UNAVAILABLE,
      `cannot reach Kafka at ${where} (KAFKA_BROKERS) within ${opts.connectTimeoutMs} ms: ${describeError(last ?? timedOut())}`,
      { cause: last, retryAfterMs: 1_000 },
    );
  };

  /** Deletes a transient group whose member has left; a failure only leaves it to offsets retention. */
  const deleteGroup = async (groupId: string): Promise<void> => {
    try {
      await withDeadline(5_000, () => admin.deleteGroups([groupId]), { onTimeout: () => new Error('no answer within 5000 ms') });
    } catch (err) {
      log.warn(
        { group: groupId, err: describeError(err) },
        'kafka bus: could not delete a transient consumer group; the broker drops it after offsets retention',
      );
    }
  };

  const ensureConnected = (): Promise<void> => {
    if (closed) return Promise.reject(new RetryableError(BUS_UNAVAILABLE, `the Kafka bus (${where}) is closed`));
    connecting ??= connectOnce().catch((err: unknown) => {
      connecting = null;
      throw err;
    });
    return connecting;
  };

  const ensureTopics = async (specs: TopicSpec[]): Promise<void> => {
    await ensureConnected();
    const missing = specs.filter((s) => !known.has(s.name));
    if (missing.length === 0) return;
    for (const s of missing) {
      if (!Number.isInteger(s.partitions) || s.partitions < 1) {
        throw new PermanentError('ZEROOPS_BUS_BAD_TOPIC', `topic ${s.name}: partitions must be a positive integer, got ${s.partitions}`);
      }
    }
    try {
      // Existing topics keep their partitions (createTopics ignores TOPIC_ALREADY_EXISTS); a message limit too low is raised below.
      // kafkajs' own waitForLeaders gives up when the new topic is not yet in the broker's metadata
      // (UNKNOWN_TOPIC_OR_PARTITION, a window KRaft brokers have right after creation): wait here instead.
      await admin.createTopics({
        waitForLeaders: false,
        topics: missing.map((s) => ({
          topic: s.name,
          numPartitions: s.partitions,
          ...(s.maxMessageBytes !== undefined ? { configEntries: [{ name: MAX_MESSAGE_BYTES, value: String(s.maxMessageBytes) }] } : {}),
        })),
      });
      await waitForLeaders(
        admin,
        missing.map((s) => s.name),
        publishTimeoutMs,
      );
      await raiseMessageLimits(admin, missing, log);
    } catch (err) {
      throw unavailable(`cannot create topics ${missing.map((s) => s.name).join(', ')}`, err);
    }
    for (const s of missing) known.add(s.name);
  };

  const implicitTopics = (names: string[]): Promise<void> => ensureTopics(names.map((name) => ({ name, partitions: opts.defaultPartitions ?? 8 })));

  return {
    kind: 'kafka',

    connect: ensureConnected,

    ensureTopics,

    async partitionCount(topic: string) {
      await ensureConnected();
      try {
        const meta = await admin.fetchTopicMetadata({ topics: [topic] });
        return meta.topics[0]?.partitions.length ?? 0;
      } catch (err) {
        throw unavailable(`cannot describe topic ${topic}`, err);
      }
    },

    async publish(topic: string, records: BusRecord[]) {
      if (closed) throw new RetryableError(BUS_UNAVAILABLE, `cannot publish to ${topic}: the Kafka bus (${where}) is closed`);
      for (const [i, r] of records.entries()) validateRecord(topic, r, i);
      if (records.length === 0) return;
      await implicitTopics([topic]);
      const messages = records.map((r) => ({ key: r.key, value: Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength), headers: r.headers }));
      const queued = queue.enqueue(topic, messages);
      try {
        // Records still queued at the deadline are withdrawn: they were never sent and never will be.
        await withDeadline(publishTimeoutMs, () => queued.done, {
          onTimeout: () => {
            const state = queued.withdraw() ? `never sent, ${queue.waiting()} publishes still queued` : 'sent, unanswered';
            return new Error(`no acknowledgement within ${publishTimeoutMs} ms (${state})`);
          },
        });
      } catch (err) {
        if (isRefusal(err))
          throw new PermanentError('ZEROOPS_BUS_RECORD_REFUSED', `Kafka refused records for ${topic}: ${describeError(err)}`, { cause: err, statusCode: 413 });
        throw unavailable(`cannot publish ${records.length} records to ${topic}`, err);
      }
    },

    async subscribe(sub: SubscribeOptions): Promise<Subscription> {
      if (sub.topics.length === 0) throw new PermanentError('ZEROOPS_BUS_BAD_SUBSCRIPTION', `group ${sub.groupId}: topics must not be empty`);
      await implicitTopics(sub.topics);
      let s: Subscription;
      try {
        s = await startKafkaSubscription({ kafka, logger: log, tuning, telemetry: opts.telemetry }, sub);
      } catch (err) {
        throw unavailable(`cannot join consumer group ${sub.groupId}`, err);
      }
      let stopped: Promise<void> | undefined;
      const tracked: Subscription = {
        assignment: () => s.assignment(),
        joined: () => s.joined(),
        stop: () => {
          stopped ??= (async () => {
            await s.stop();
            subs.delete(tracked);
            if (sub.transient) await deleteGroup(sub.groupId);
          })();
          return stopped;
        },
      };
      subs.add(tracked);
      return tracked;
    },

    async ping() {
      const ms = opts.pingTimeoutMs ?? 3_000;
      try {
        await withDeadline(ms, () => ensureConnected().then(() => admin.describeCluster()), { onTimeout: () => new Error(`no answer within ${ms} ms`) });
      } catch (err) {
        throw err instanceof RetryableError ? err : unavailable('ping failed', err);
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([...subs].map((s) => s.stop()));
      const results = await Promise.allSettled([...producers.map((p) => p.disconnect()), admin.disconnect()]);
      for (const r of results) if (r.status === 'rejected') log.warn({ err: describeError(r.reason) }, 'kafka bus: disconnect failed');
    },
  };
}
