/**
 * The one state object of a Kafka bus, shared by its operations: the kafkajs
 * client, producers, admin client and publish queue, the subscriptions and
 * topics it knows, and the connection under way. Also the operations that
 * the others build on: connecting, creating topics, naming an outage.
 */
import type { Logger } from 'pino';
import { withDeadline } from '../core/deadline.ts';
import { describeError, RetryableError } from '../core/errors.ts';
import type { Subscription, TopicSpec } from './bus.ts';
import type { KafkaBusOptions } from './kafka-bus.ts';
import type { KafkaConsumerTuning } from './kafka-consumer.ts';
import { KAFKA_LOG_LEVEL, kafkaLogCreator } from './kafka-logging.ts';
import { PublishQueue } from './kafka-publish-queue.ts';
import { checkTopicSpecs, createTopics } from './kafka-topics.ts';
import { type Admin, Kafka, type KafkaJSProtocolError, kafkaCrc32c, Partitioners, type Producer } from './kafkajs.ts';
import { BUS_UNAVAILABLE } from './memory-bus.ts';

/** The state of one Kafka bus; see the module comment. Owned by its `createKafkaBus`. */
export interface KafkaBusState {
  readonly opts: KafkaBusOptions;
  /** The brokers, comma-separated, for messages. */
  readonly where: string;
  readonly log: Logger;
  /** Longest a publish waits for its acknowledgement, in ms. */
  readonly publishTimeoutMs: number;
  readonly tuning: KafkaConsumerTuning;
  readonly kafka: Kafka;
  readonly producers: Producer[];
  readonly admin: Admin;
  readonly queue: PublishQueue;
  /** Live subscriptions; close() stops them. */
  readonly subs: Set<Subscription>;
  /** Topics created or confirmed by this bus. */
  readonly known: Set<string>;
  /** The connection under way or made; null before the first and after a failed one. */
  connecting: Promise<void> | null;
  closed: boolean;
}

/** Protocol errors that no retry can fix: the record itself is refused. */
const REFUSED = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE']);

/** Whether `err` (or an error it wraps: kafkajs' retrier wraps what it will not retry) is one of {@link REFUSED}. */
export function isRefusal(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const type = (e as Partial<KafkaJSProtocolError>).type;
    if (type !== undefined && REFUSED.has(type)) return true;
  }
  return false;
}

/** Builds the state of a bus from its options; nothing connects yet. */
export function createKafkaBusState(opts: KafkaBusOptions): KafkaBusState {
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
  const producers = createProducers(kafka, opts.producers ?? 2);
  const admin: Admin = kafka.admin();
  const queue = new PublishQueue({
    send: async (topicMessages, slot) => {
      await (producers[slot] as Producer).sendBatch({ topicMessages, acks: -1, timeout: publishTimeoutMs });
    },
    slots: producers.length,
    maxSendBytes: opts.maxProduceBytes ?? 1_000_000,
    isRefusal,
  });
  return { opts, where, log, publishTimeoutMs, tuning, kafka, producers, admin, queue, subs: new Set(), known: new Set(), connecting: null, closed: false };
}

function createProducers(kafka: Kafka, count: number): Producer[] {
  return Array.from({ length: count }, () =>
    kafka.producer({
      idempotent: true,
      // kafkajs follows KIP-98's first rule for idempotence: one request in flight per connection.
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    }),
  );
}

/** A {@link RetryableError} saying that `what` failed on this bus's brokers because of `cause`. */
export function unavailable(state: KafkaBusState, what: string, cause: unknown): RetryableError {
  return new RetryableError(BUS_UNAVAILABLE, `${what} on Kafka at ${state.where}: ${describeError(cause)}`, { cause, retryAfterMs: 1_000 });
}

async function connectOnce(state: KafkaBusState): Promise<void> {
  const { opts, admin, producers, log } = state;
  const deadline = Date.now() + opts.connectTimeoutMs;
  const timedOut = () => new Error(`no answer within ${opts.connectTimeoutMs} ms`);
  // The broker's own error (e.g. ECONNREFUSED) says more than our timeout, so it wins when we have one.
  let last: unknown;
  while (Date.now() < deadline && !state.closed) {
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
    `cannot reach Kafka at ${state.where} (KAFKA_BROKERS) within ${opts.connectTimeoutMs} ms: ${describeError(last ?? timedOut())}`,
    { cause: last, retryAfterMs: 1_000 },
  );
}

/** Connects once (sharing the attempt under way); a failed attempt is forgotten so that the next call tries again. */
export function ensureConnected(state: KafkaBusState): Promise<void> {
  if (state.closed) return Promise.reject(new RetryableError(BUS_UNAVAILABLE, `the Kafka bus (${state.where}) is closed`));
  state.connecting ??= connectOnce(state).catch((err: unknown) => {
    state.connecting = null;
    throw err;
  });
  return state.connecting;
}

/** Creates the topics of `specs` this bus does not know yet (see {@link Bus.ensureTopics}). */
export async function ensureTopics(state: KafkaBusState, specs: TopicSpec[]): Promise<void> {
  await ensureConnected(state);
  const missing = specs.filter((s) => !state.known.has(s.name));
  if (missing.length === 0) return;
  checkTopicSpecs(missing);
  try {
    await createTopics(state.admin, missing, state.publishTimeoutMs, state.log);
  } catch (err) {
    throw unavailable(state, `cannot create topics ${missing.map((s) => s.name).join(', ')}`, err);
  }
  for (const s of missing) state.known.add(s.name);
}

/** Ensures topics named by a publish or a subscription, with the default partition count. */
export function implicitTopics(state: KafkaBusState, names: string[]): Promise<void> {
  return ensureTopics(
    state,
    names.map((name) => ({ name, partitions: state.opts.defaultPartitions ?? 8 })),
  );
}

/** Deletes a transient group whose member has left; a failure only leaves it to offsets retention. */
export async function deleteGroup(state: KafkaBusState, groupId: string): Promise<void> {
  try {
    await withDeadline(5_000, () => state.admin.deleteGroups([groupId]), { onTimeout: () => new Error('no answer within 5000 ms') });
  } catch (err) {
    state.log.warn(
      { group: groupId, err: describeError(err) },
      'kafka bus: could not delete a transient consumer group; the broker drops it after offsets retention',
    );
  }
}
