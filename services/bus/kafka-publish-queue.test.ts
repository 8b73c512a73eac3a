import { describe, expect, it } from 'vitest';
import { PublishQueue, type QueuedMessage, type TopicBatch } from './kafka-publish-queue.ts';

/** A producer whose sends stay open until the test answers them, one at a time. */
class HeldProducer {
  readonly sends: Array<{ batches: TopicBatch[]; slot: number; ack(): void; fail(err: Error): void }> = [];
  inFlight = 0;
  maxInFlight = 0;

  send = (batches: TopicBatch[], slot: number): Promise<void> =>
    new Promise((resolve, reject) => {
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      const done = () => this.inFlight--;
      this.sends.push({
        batches,
        slot,
        ack: () => {
          done();
          resolve();
        },
        fail: (err) => {
          done();
          reject(err);
        },
      });
    });

  /** Keys of send `i`, as `topic:key`. */
  keys(i: number): string[] {
    return (this.sends[i]?.batches ?? []).flatMap((b) => b.messages.map((m) => `${b.topic}:${m.key}`));
  }
}

class Refused extends Error {
  type = 'MESSAGE_TOO_LARGE';
}

const msg = (key: string, size = 10): QueuedMessage => ({ key, value: Buffer.alloc(size) });

/** Lets pending promise callbacks run. */
const settle = () => new Promise((r) => setImmediate(r));

function state(p: Promise<void>): () => string {
  let s = 'pending';
  p.then(
    () => {
      s = 'acked';
    },
    (e: Error) => {
      s = `failed: ${e.message}`;
    },
  );
  return () => s;
}

function queueOver(producer: HeldProducer, maxSendBytes = 1_000_000, slots = 1): PublishQueue {
  return new PublishQueue({ send: producer.send, maxSendBytes, slots, isRefusal: (e) => e instanceof Refused });
}

describe('PublishQueue', () => {
  it('sends what arrived during a send in one next send, one send at a time, and acks each publish only with its own send', async () => {
    const producer = new HeldProducer();
    const q = queueOver(producer);
    const a = state(q.enqueue('t1', [msg('a')]).done);
    const b = state(q.enqueue('t1', [msg('b1'), msg('b2')]).done);
    const c = state(q.enqueue('t2', [msg('c')]).done);
    const d = state(q.enqueue('t1', [msg('d')]).done);
    await settle();
    expect(producer.sends).toHaveLength(1);
    expect(producer.keys(0)).toEqual(['t1:a']);
    producer.sends[0]?.ack();
    await settle();
    expect([a(), b(), c(), d()]).toEqual(['acked', 'pending', 'pending', 'pending']);
    // One send for the three waiting publishes, one batch per topic, publish order kept within a topic.
    expect(producer.sends).toHaveLength(2);
    expect(producer.keys(1)).toEqual(['t1:b1', 't1:b2', 't1:d', 't2:c']);
    producer.sends[1]?.ack();
    await settle();
    expect([b(), c(), d()]).toEqual(['acked', 'acked', 'acked']);
    expect(producer.maxInFlight).toBe(1);
  });

  it('caps the bytes of one send, and a publish larger than the cap goes alone', async () => {
    const producer = new HeldProducer();
    const q = queueOver(producer, 300);
    q.enqueue('t', [msg('first')]);
    const rest = ['x', 'y', 'z'].map((k) => q.enqueue('t', [msg(k, 100)]).done);
    const big = q.enqueue('t', [msg('big', 1_000)]).done;
    const after = q.enqueue('t', [msg('after')]).done;
    for (let i = 0; i < 5; i++) {
      await settle();
      producer.sends[i]?.ack();
    }
    await Promise.all([...rest, big, after]);
    // Message bytes are value + key + 24: x, y, z take 125 each, big 1,027.
    expect(producer.sends.map((_, i) => producer.keys(i))).toEqual([['t:first'], ['t:x', 't:y'], ['t:z'], ['t:big'], ['t:after']]);
  });

  it('gives each publish of a refused coalesced send its own verdict', async () => {
    const producer = new HeldProducer();
    const q = queueOver(producer);
    q.enqueue('t', [msg('first')]);
    const ok1 = state(q.enqueue('t', [msg('ok1')]).done);
    const bad = state(q.enqueue('t', [msg('bad')]).done);
    const ok2 = state(q.enqueue('t', [msg('ok2')]).done);
    await settle();
    producer.sends[0]?.ack();
    await settle();
    producer.sends[1]?.fail(new Refused('record too large'));
    // Then one send per publish, in order.
    for (const [i, answer] of [
      [2, 'ack'],
      [3, 'fail'],
      [4, 'ack'],
    ] as const) {
      await settle();
      expect(producer.sends).toHaveLength(i + 1);
      if (answer === 'ack') producer.sends[i]?.ack();
      else producer.sends[i]?.fail(new Refused('record too large'));
    }
    await settle();
    expect(producer.keys(3)).toEqual(['t:bad']);
    expect([ok1(), bad(), ok2()]).toEqual(['acked', 'failed: record too large', 'acked']);
  });

  it('fails every publish of a send that fails for another reason, then goes on with the next', async () => {
    const producer = new HeldProducer();
    const q = queueOver(producer);
    q.enqueue('t', [msg('first')]);
    const x = state(q.enqueue('t', [msg('x')]).done);
    const y = state(q.enqueue('t', [msg('y')]).done);
    await settle();
    producer.sends[0]?.ack();
    await settle();
    const z = state(q.enqueue('t', [msg('z')]).done);
    producer.sends[1]?.fail(new Error('broker down'));
    await settle();
    expect([x(), y()]).toEqual(['failed: broker down', 'failed: broker down']);
    expect(producer.sends).toHaveLength(3);
    producer.sends[2]?.ack();
    await settle();
    expect(z()).toBe('acked');
  });

  it('withdraws a publish that is still queued, never sending it, but not one already sent', async () => {
    const producer = new HeldProducer();
    const q = queueOver(producer);
    const first = q.enqueue('t', [msg('first')]);
    const second = q.enqueue('t', [msg('second')]);
    await settle();
    expect(first.withdraw()).toBe(false);
    expect(second.withdraw()).toBe(true);
    expect(q.waiting()).toBe(0);
    producer.sends[0]?.ack();
    await first.done;
    await settle();
    expect(producer.sends).toHaveLength(1);
  });

  it('with two slots keeps two sends in flight on different slots, and coalesces what waits into the slot freed first', async () => {
    const producer = new HeldProducer();
    const q = queueOver(producer, 1_000_000, 2);
    const a = state(q.enqueue('t', [msg('a')]).done);
    const b = state(q.enqueue('t', [msg('b1'), msg('b2')]).done);
    const c = state(q.enqueue('t', [msg('c')]).done);
    const d = state(q.enqueue('t', [msg('d')]).done);
    await settle();
    expect(producer.sends.map((s, i) => [s.slot, producer.keys(i)])).toEqual([
      [0, ['t:a']],
      [1, ['t:b1', 't:b2']],
    ]);
    producer.sends[1]?.ack();
    await settle();
    expect([a(), b(), c(), d()]).toEqual(['pending', 'acked', 'pending', 'pending']);
    expect(producer.sends.map((s, i) => [s.slot, producer.keys(i)])[2]).toEqual([1, ['t:c', 't:d']]);
    producer.sends[2]?.ack();
    producer.sends[0]?.ack();
    await settle();
    expect([a(), c(), d()]).toEqual(['acked', 'acked', 'acked']);
    expect(producer.sends).toHaveLength(3);
    expect(producer.maxInFlight).toBe(2);
  });
});
