/**
 * Group commit for the Kafka producer. The idempotent kafkajs producer sends
 * one Produce request at a time per broker (it holds a per-broker lock
 * around each request, as KIP-98 requires with one request in flight), so
 * one `send()` per publish caps a bus at one publish per broker round trip,
 * and under a steady arrival rate the waiting publishes queue without bound.
 * This queue keeps up to `slots` sends in flight (one per producer, each
 * with its own connection) and hands the broker, in the next send, every
 * publish that arrived meanwhile (up to a byte cap), so the work per round
 * trip grows with the load instead of the queue. With two slots the client
 * encodes the next request while the broker appends the previous one.
 *
 * Every publish still resolves only after the send holding its own records
 * was acknowledged (acks=all); a send that fails fails each publish in it.
 * A publish's records always travel in one send, in their order; two
 * publishes in different slots may land in either order (the bus promises
 * at-least-once delivery, not an order across publishes).
 */

/** One message as kafkajs takes it. */
export interface QueuedMessage {
  key: string;
  value: Buffer;
  headers?: Record<string, string>;
}

/** Messages for one topic, in publish order. */
export interface TopicBatch {
  topic: string;
  messages: QueuedMessage[];
}

/** What {@link PublishQueue} needs. */
export interface PublishQueueOptions {
  /** Sends one Produce round (kafkajs `sendBatch`) on producer `slot` and resolves once it is acknowledged. */
  send(batches: TopicBatch[], slot: number): Promise<void>;
  /** Sends in flight at once, each on its own slot `0 .. slots-1` (default 1). */
  slots?: number;
  /**
   * Most bytes (keys, values and headers) put in one send; a larger single
   * publish still goes alone. Keep it at or under the broker's
   * `message.max.bytes` (1 MiB by default), which bounds each partition's
   * record batch, so that coalescing never makes a batch too large that each
   * publish alone would not be.
   */
  maxSendBytes: number;
  /** True when `err` refuses the records themselves (retrying the same records cannot help). */
  isRefusal(err: unknown): boolean;
}

interface Entry {
  topic: string;
  messages: QueuedMessage[];
  bytes: number;
  resolve(): void;
  reject(err: unknown): void;
}

/** Handle of one queued publish. */
export interface QueuedPublish {
  /** Resolves once the records are acknowledged; rejects with the send's error. */
  done: Promise<void>;
  /** Drops the records if they have not been handed to the producer yet; returns whether they were dropped. */
  withdraw(): boolean;
}

/** Bytes a message occupies on the wire, near enough for a cap. */
export function messageBytes(m: QueuedMessage): number {
  let n = m.value.byteLength + Buffer.byteLength(m.key) + 24;
  if (m.headers) for (const [k, v] of Object.entries(m.headers)) n += Buffer.byteLength(k) + Buffer.byteLength(v) + 4;
  return n;
}

/** FIFO of publishes drained by up to `slots` sends at a time; see the module comment. */
export class PublishQueue {
  private readonly pending: Entry[] = [];
  /** Slots with no send in flight, the most recently freed last. */
  private readonly idle: number[];

  constructor(private readonly opts: PublishQueueOptions) {
    const slots = opts.slots ?? 1;
    if (!Number.isInteger(slots) || slots < 1) throw new Error(`PublishQueue: slots must be a positive integer, got ${slots}`);
    this.idle = Array.from({ length: slots }, (_, i) => slots - 1 - i);
  }

  /** Publishes waiting for a send (not counting the one in flight). */
  waiting(): number {
    return this.pending.length;
  }

  /** Queues `messages` for `topic`; the queue owns them from now on. */
  enqueue(topic: string, messages: QueuedMessage[]): QueuedPublish {
    let bytes = 0;
    for (const m of messages) bytes += messageBytes(m);
    let entry: Entry | undefined;
    const done = new Promise<void>((resolve, reject) => {
      entry = { topic, messages, bytes, resolve, reject };
    });
    const e = entry as Entry;
    this.pending.push(e);
    this.pump();
    return {
      done,
      withdraw: () => {
        const i = this.pending.indexOf(e);
        if (i < 0) return false;
        this.pending.splice(i, 1);
        return true;
      },
    };
  }

  /** Starts a send on every idle slot while publishes wait. */
  private pump(): void {
    while (this.pending.length > 0 && this.idle.length > 0) {
      const slot = this.idle.pop() as number;
      void this.run(slot, this.take());
    }
  }

  private async run(slot: number, batch: Entry[]): Promise<void> {
    try {
      await this.opts.send(group(batch), slot);
      for (const e of batch) e.resolve();
    } catch (err) {
      // A refusal of a coalesced send may be caused by one publish alone: give each its own verdict.
      if (batch.length > 1 && this.opts.isRefusal(err)) await this.sendEach(batch, slot);
      else for (const e of batch) e.reject(err);
    } finally {
      this.idle.push(slot);
      this.pump();
    }
  }

  /** Takes publishes from the head while they fit in one send (at least one). */
  private take(): Entry[] {
    let n = 0;
    let bytes = 0;
    for (const e of this.pending) {
      if (n > 0 && bytes + e.bytes > this.opts.maxSendBytes) break;
      bytes += e.bytes;
      n++;
    }
    return this.pending.splice(0, n);
  }

  private async sendEach(batch: Entry[], slot: number): Promise<void> {
    for (const e of batch) {
      try {
        await this.opts.send(group([e]), slot);
        e.resolve();
      } catch (err) {
        e.reject(err);
      }
    }
  }
}

/** One {@link TopicBatch} per topic, messages in queue order (so per-key order holds). */
function group(entries: Entry[]): TopicBatch[] {
  const byTopic = new Map<string, QueuedMessage[]>();
  for (const e of entries) {
    const list = byTopic.get(e.topic);
    if (list) for (const m of e.messages) list.push(m);
    else byTopic.set(e.topic, e.messages.slice());
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
