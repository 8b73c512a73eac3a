/**
 * One member of an in-process consumer group: a loop that hands batches of
 * its assigned partitions to `eachBatch`, commits after it resolves, backs
 * off and redelivers after it throws, and is evicted when a batch runs past
 * the session timeout without a heartbeat.
 */
import type { Logger } from 'pino';
import { describeError } from '../core/errors.ts';
import type { BatchContext, ConsumedRecord, SubscribeOptions, Subscription, TopicPartition } from './bus.ts';
import type { GroupEnv, MemoryGroup } from './memory-group.ts';
import { Wakeup } from './memory-log.ts';
import { tpKey } from './partitions.ts';

const DEFAULT_SESSION_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_BATCH = 500;

/** A running member of a {@link MemoryGroup}; the {@link Subscription} handed to callers. */
export class MemoryMember implements Subscription {
  /** Partitions this member owns now (set by the group). */
  assigned: TopicPartition[] = [];
  /** True while `eachBatch` runs. */
  busy = false;
  /** Topics subscribed to. */
  readonly topics: string[];
  private fenced = false;
  private stopped = false;
  private readonly wakeup = new Wakeup();
  private batchAbort: AbortController | null = null;
  private lastSeen = 0;
  private cursor = 0;
  private readonly pausedUntil = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  private loop: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | null = null;
  private member = false;
  private readonly log: Logger;

  constructor(
    /** Join sequence number, unique per bus (for logs). */
    readonly seq: number,
    private readonly opts: SubscribeOptions,
    private readonly group: MemoryGroup,
    private readonly env: GroupEnv,
    private readonly onGone: (m: MemoryMember) => void,
  ) {
    this.topics = [...new Set(opts.topics)];
    this.log = env.logger.child({ group: opts.groupId, member: seq });
  }

  /** Joins the group (resolving once partitions are assigned) and starts the delivery loop. */
  async start(): Promise<void> {
    await this.group.join(this);
    this.member = this.stopping === null;
    this.loop = this.run();
  }

  /** {@inheritDoc Subscription.assignment} */
  assignment(): TopicPartition[] {
    return this.assigned.map((tp) => ({ ...tp }));
  }

  /** {@inheritDoc Subscription.joined} */
  joined(): boolean {
    return this.member;
  }

  /** {@inheritDoc Subscription.stop} */
  stop(): Promise<void> {
    this.member = false;
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /** Wakes the loop (new records, rebalance done). */
  wake(): void {
    this.wakeup.notify();
  }

  /** Marks this member as evicted: its in-flight batch is aborted and will not commit. */
  fence(): void {
    this.fenced = true;
    this.batchAbort?.abort(new Error('consumer group session timed out'));
    this.wake();
  }

  /** Calls `onRevoked`; a throwing callback is logged. */
  async revoke(partitions: TopicPartition[]): Promise<void> {
    if (partitions.length === 0 || !this.opts.onRevoked) return;
    try {
      await this.opts.onRevoked(partitions.map((tp) => ({ ...tp })));
    } catch (err) {
      this.log.error({ err: describeError(err) }, 'memory bus: onRevoked failed');
    }
  }

  /** Calls `onAssigned`; a throwing callback is logged. */
  async assign(partitions: TopicPartition[]): Promise<void> {
    if (!this.opts.onAssigned) return;
    try {
      await this.opts.onAssigned(partitions.map((tp) => ({ ...tp })));
    } catch (err) {
      this.log.error({ err: describeError(err) }, 'memory bus: onAssigned failed');
    }
  }

  private async shutdown(): Promise<void> {
    this.stopped = true;
    this.batchAbort?.abort(new Error('consumer stopping'));
    this.wake();
    await this.loop;
    await this.group.leave(this);
    this.onGone(this);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.fenced) {
        await this.rejoin();
        continue;
      }
      if (this.group.rebalancing) {
        await this.wakeup.wait();
        continue;
      }
      // From here to `busy = true` in deliver() nothing awaits, so a rebalance cannot start in between.
      const next = this.pick();
      if ('records' in next) await this.deliver(next.tp, next.records);
      else await this.wakeup.wait(next.waitMs);
    }
  }

  private async rejoin(): Promise<void> {
    await this.revoke(this.assigned);
    this.assigned = [];
    this.fenced = false;
    if (!this.stopped) await this.group.join(this);
  }

  /** The next partition with records to deliver, round-robin; or how long to wait. */
  private pick(): { tp: TopicPartition; records: ConsumedRecord[] } | { waitMs: number | undefined } {
    const now = Date.now();
    let waitMs: number | undefined;
    const n = this.assigned.length;
    for (let i = 0; i < n; i++) {
      const tp = this.assigned[(this.cursor + i) % n]!;
      const until = this.pausedUntil.get(tpKey(tp.topic, tp.partition)) ?? 0;
      if (until > now) {
        waitMs = Math.min(waitMs ?? Infinity, until - now);
        continue;
      }
      const topic = this.env.topic(tp.topic);
      const rows = topic.logs[tp.partition]!.read(this.group.position(topic, tp.partition), this.opts.maxBatchSize ?? DEFAULT_MAX_BATCH);
      if (rows.length === 0) continue;
      this.cursor = (this.cursor + i + 1) % n;
      const records = rows.map(({ offset, rec }) => ({
        topic: tp.topic,
        partition: tp.partition,
        offset: String(offset),
        key: rec.key,
        value: rec.value,
        headers: { ...rec.headers },
        timestamp: rec.timestamp,
      }));
      return { tp, records };
    }
    return { waitMs };
  }

  private async deliver(tp: TopicPartition, records: ConsumedRecord[]): Promise<void> {
    this.busy = true;
    const abort = new AbortController();
    this.batchAbort = abort;
    this.lastSeen = Date.now();
    const sessionMs = this.opts.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    const watchdog = setInterval(
      () => {
        if (Date.now() - this.lastSeen > sessionMs) this.group.evict(this);
      },
      Math.max(10, Math.floor(sessionMs / 4)),
    );
    watchdog.unref();
    const ctx: BatchContext = {
      topic: tp.topic,
      partition: tp.partition,
      heartbeat: async () => {
        this.lastSeen = Date.now();
      },
      signal: abort.signal,
    };
    let ok = false;
    try {
      await this.opts.eachBatch(records, ctx);
      ok = true;
    } catch (err) {
      this.backOff(tp, err);
    } finally {
      clearInterval(watchdog);
      this.batchAbort = null;
      this.busy = false;
    }
    if (ok) this.commit(tp, records);
    this.group.notifyBatchEnded();
  }

  private commit(tp: TopicPartition, records: ConsumedRecord[]): void {
    const key = tpKey(tp.topic, tp.partition);
    // An evicted member, or one that no longer owns the partition, must not move the group's offset.
    if (this.fenced || !this.assigned.some((a) => a.topic === tp.topic && a.partition === tp.partition)) return;
    this.group.committed.set(key, Number(records[records.length - 1]!.offset) + 1);
    this.failures.delete(key);
    this.env.onCommit(tp.topic, tp.partition);
  }

  private backOff(tp: TopicPartition, err: unknown): void {
    const key = tpKey(tp.topic, tp.partition);
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    const delay = Math.min(this.env.maxRetryBackoffMs, this.env.retryBackoffMs * 2 ** (n - 1));
    this.pausedUntil.set(key, Date.now() + delay);
    this.log.warn(
      { topic: tp.topic, partition: tp.partition, failures: n, retryInMs: delay, err: describeError(err) },
      'memory bus: eachBatch failed; redelivering after back-off',
    );
  }
}
