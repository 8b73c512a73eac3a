/**
 * One consumer-group member over kafkajs: `eachBatch` with auto-commit and
 * auto-resolve off; offsets are resolved and committed only after the
 * handler resolves. A handler that throws leaves its offsets unresolved, so
 * kafkajs fetches the same records again after our back-off. Assignment is
 * tracked from GROUP_JOIN events; `onRevoked`/`onAssigned` run on the diff,
 * and no batch is handed out before they finish.
 *
 * kafkajs has no revoke hook: on a rebalance `onRevoked` runs once the new
 * assignment is known, when another member may already own the partition.
 * Only on `stop()` does it run before the partitions are given up. Callers
 * must stay idempotent (they are: delivery is at-least-once).
 *
 * A subscription heals itself. When its kafkajs consumer crashes (kafkajs
 * gives up after a bounded number of retries, and some errors, such as
 * `KafkaJSGroupCoordinatorNotFound` while a restarted broker is still loading
 * its group coordinator, it never restarts after), the assignment is revoked
 * and a NEW kafkajs consumer joins the group after a back-off, again and
 * again until `stop()`. Each restart is logged at warn and counted
 * (`zeroops.bus.consumer.restarts`). Offsets not yet committed are delivered
 * again, as after any rebalance.
 */
import type { Logger } from 'pino';
import { describeError } from '../core/errors.ts';
import { sleep } from '../core/retry.ts';
import type { Telemetry } from '../core/telemetry.ts';
import type { SubscribeOptions, Subscription, TopicPartition } from './bus.ts';
import { batchContext, toConsumed } from './kafka-batch.ts';
import { consumerConfig } from './kafka-consumer-config.ts';
import type { Consumer, EachBatchPayload, Kafka } from './kafkajs.ts';
import { partitionsMinus } from './partitions.ts';

/** Tuning of Kafka consumers; every value has a default suited to tests and small deployments. */
export interface KafkaConsumerTuning {
  /** Longest a fetch waits for data on the broker, in ms (default 500): bounds how late a member notices a rebalance. */
  fetchMaxWaitMs: number;
  /** First back-off before redelivering a failed batch, in ms (default 200); doubles per failure. */
  retryBackoffMs: number;
  /** Largest back-off, in ms (default 5000; also capped at a third of the session timeout). */
  maxRetryBackoffMs: number;
  /** First delay before a crashed consumer is replaced by a new one, in ms (default 500); doubles per restart without a join in between. */
  restartBackoffMs: number;
  /** Largest delay between two restarts of a consumer, in ms (default 10000). */
  maxRestartBackoffMs: number;
}

/** What a subscription runs on; owned by the bus, shared by its subscriptions. */
export interface KafkaSubscriptionDeps {
  kafka: Kafka;
  logger: Logger;
  tuning: KafkaConsumerTuning;
  /** Counts consumer restarts when given. */
  telemetry?: Telemetry;
}

/** Name of the counter of consumer restarts (attribute `group`). */
export const CONSUMER_RESTARTS = 'zeroops.bus.consumer.restarts';

const DEFAULT_SESSION_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_BATCH = 500;

/**
 * Joins `opts.groupId` with a new kafkajs consumer and starts delivering.
 * Resolves after the first join attempt; rejects when the consumer cannot
 * even connect. A first join that fails is retried in the background like
 * any later crash.
 */
export async function startKafkaSubscription(deps: KafkaSubscriptionDeps, opts: SubscribeOptions): Promise<Subscription> {
  const sub = new KafkaSubscription(deps, opts);
  await sub.start();
  return sub;
}

class KafkaSubscription implements Subscription {
  private assigned: TopicPartition[] = [];
  private callbacks: Promise<void> = Promise.resolve();
  private stopping = false;
  private stopped: Promise<void> | null = null;
  private inFlight: Promise<void> = Promise.resolve();
  private abort = new AbortController();
  private readonly failures = new Map<string, number>();
  private readonly log: Logger;
  private readonly sessionTimeout: number;
  /** The kafkajs consumer of the current generation; a crash makes the next one. */
  private consumer: Consumer | null = null;
  private generation = 0;
  /** Restarts since the last successful join: the back-off exponent. */
  private restartsSinceJoin = 0;
  /** The current generation has joined the group (GROUP_JOIN) and neither crashed nor stopped since. */
  private member = false;
  /** Launches and recoveries, in order; stop() waits for it before disconnecting. */
  private lifecycle: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: KafkaSubscriptionDeps,
    private readonly opts: SubscribeOptions,
  ) {
    this.log = deps.logger.child({ group: opts.groupId });
    this.sessionTimeout = opts.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
  }

  start(): Promise<void> {
    const first = this.launch();
    this.lifecycle = first.catch(() => undefined);
    return first;
  }

  /** Starts a new generation: connects, subscribes and runs a fresh kafkajs consumer. */
  private async launch(): Promise<void> {
    const consumer = this.deps.kafka.consumer(consumerConfig(this.opts.groupId, this.sessionTimeout, this.deps.tuning));
    const generation = ++this.generation;
    this.consumer = consumer;
    const { GROUP_JOIN, CRASH } = consumer.events;
    consumer.on(GROUP_JOIN, (e) => {
      if (generation !== this.generation) return;
      this.restartsSinceJoin = 0;
      this.member = !this.stopping;
      this.onJoin(e.payload.memberAssignment);
    });
    // kafkajs has disconnected the consumer (leaving the group) before it reports the crash.
    consumer.on(CRASH, (e) => this.onCrash(generation, e.payload.error));
    try {
      await consumer.connect();
      // A transient group has no history to read: it starts at the end (Kafka's `latest`).
      await consumer.subscribe({ topics: this.opts.topics, fromBeginning: !this.opts.transient });
      await this.run(consumer);
    } catch (err) {
      await consumer.disconnect().catch((e: unknown) => this.log.warn({ err: describeError(e) }, 'kafka bus: disconnect after a failed start failed'));
      throw err;
    }
  }

  private onCrash(generation: number, error: unknown): void {
    if (generation !== this.generation || this.stopping) return;
    this.member = false;
    this.onJoin({});
    this.lifecycle = this.lifecycle.then(() => this.recover(error));
  }

  /** Replaces the crashed consumer, backing off between attempts, until one starts or stop() is called. */
  private async recover(cause: unknown): Promise<void> {
    let last = cause;
    while (!this.stopping) {
      const cap = this.deps.tuning.maxRestartBackoffMs;
      const delay = Math.min(cap, this.deps.tuning.restartBackoffMs * 2 ** Math.min(this.restartsSinceJoin, 20));
      this.restartsSinceJoin++;
      this.log.warn(
        { err: describeError(last), restartInMs: delay, attempt: this.restartsSinceJoin },
        'kafka bus: consumer stopped by an error; starting a new one after back-off',
      );
      // Rejects only when stop() aborts the back-off.
      const waited = await sleep(delay, this.abort.signal).then(
        () => true,
        () => false,
      );
      if (!waited || this.stopping) return;
      this.deps.telemetry?.count(CONSUMER_RESTARTS, { group: this.opts.groupId });
      try {
        // A join that fails inside kafkajs does not reject here: it is reported as a crash, which calls recover() again.
        await this.launch();
        return;
      } catch (err) {
        last = err;
      }
    }
  }

  private async run(consumer: Consumer): Promise<void> {
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => {
        const run = this.handle(payload);
        // Only for stop() to wait on; the error itself goes to kafkajs through `run` (it rejoins, or crashes and we restart).
        this.inFlight = run.then(
          () => undefined,
          () => undefined,
        );
        return run;
      },
    });
  }

  assignment(): TopicPartition[] {
    return this.assigned.map((tp) => ({ ...tp }));
  }

  joined(): boolean {
    return this.member;
  }

  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    this.member = false;
    this.abort.abort(new Error('consumer stopping'));
    // A launch under way finishes (bounded by kafkajs' retries) so that its consumer is the one disconnected below.
    await this.lifecycle;
    await this.inFlight;
    const lost = this.assigned;
    this.assigned = [];
    await this.enqueue(lost, []);
    await this.consumer?.disconnect();
  }

  private onJoin(memberAssignment: Record<string, number[]>): void {
    const next = Object.entries(memberAssignment).flatMap(([topic, ps]) => ps.map((partition) => ({ topic, partition })));
    const lost = partitionsMinus(this.assigned, next);
    const gained = partitionsMinus(next, this.assigned);
    this.assigned = next;
    void this.enqueue(lost, gained);
  }

  /** Runs the callbacks in order; batches wait for this chain. */
  private enqueue(lost: TopicPartition[], gained: TopicPartition[]): Promise<void> {
    const call = async (name: 'onRevoked' | 'onAssigned', tps: TopicPartition[]): Promise<void> => {
      const fn = this.opts[name];
      if (!fn || tps.length === 0) return;
      try {
        await fn.call(this.opts, tps);
      } catch (err) {
        this.log.error({ err: describeError(err) }, `kafka bus: ${name} failed`);
      }
    };
    this.callbacks = this.callbacks.then(async () => {
      await call('onRevoked', lost);
      await call('onAssigned', gained);
    });
    return this.callbacks;
  }

  private async handle(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    await this.callbacks;
    const ctx = batchContext(payload, this.abort.signal, this.log);
    const max = this.opts.maxBatchSize ?? DEFAULT_MAX_BATCH;
    for (let i = 0; i < batch.messages.length; i += max) {
      if (this.stopping || !payload.isRunning() || payload.isStale()) return;
      const records = batch.messages.slice(i, i + max).map((m) => toConsumed(batch.topic, batch.partition, m));
      if (records.length === 0) continue;
      try {
        await this.opts.eachBatch(records, ctx);
      } catch (err) {
        await this.backOff(payload, err);
        // Unresolved: the next fetch of this partition starts at the first record of this chunk again.
        return;
      }
      const last = records[records.length - 1]!.offset;
      payload.resolveOffset(last);
      const next = (BigInt(last) + 1n).toString();
      await payload.commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] });
      this.failures.delete(`${batch.topic}:${batch.partition}`);
    }
  }

  private async backOff(payload: EachBatchPayload, err: unknown): Promise<void> {
    const key = `${payload.batch.topic}:${payload.batch.partition}`;
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    if (this.stopping) return;
    const cap = Math.min(this.deps.tuning.maxRetryBackoffMs, Math.floor(this.sessionTimeout / 3));
    const delay = Math.min(cap, this.deps.tuning.retryBackoffMs * 2 ** (n - 1));
    this.log.warn(
      { topic: payload.batch.topic, partition: payload.batch.partition, failures: n, retryInMs: delay, err: describeError(err) },
      'kafka bus: eachBatch failed; redelivering after back-off',
    );
    try {
      await sleep(delay, this.abort.signal);
      await payload.heartbeat();
    } catch (e) {
      this.log.debug({ err: describeError(e) }, 'kafka bus: back-off ended early (stopping or rebalancing)');
    }
  }
}
