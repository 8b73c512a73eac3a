import { afterEach, describe, expect, it } from 'vitest';
import { PermanentError, RetryableError } from '../core/errors.ts';
import type { Bus, ConsumedRecord, Subscription } from './bus.ts';
import { createMemoryBus } from './memory-bus.ts';

const enc = new TextEncoder();
const recs = (n: number, key = 'k') => Array.from({ length: n }, (_, i) => ({ key, value: enc.encode(`v${i}`) }));

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('memory bus specifics', () => {
  const buses: Bus[] = [];
  const subs: Subscription[] = [];
  const make = (opts: Parameters<typeof createMemoryBus>[0] = {}) => {
    const b = createMemoryBus({ partitions: 2, retryBackoffMs: 10, ...opts });
    buses.push(b);
    return b;
  };
  afterEach(async () => {
    await Promise.all(subs.splice(0).map((s) => s.stop()));
    await Promise.all(buses.splice(0).map((b) => b.close()));
  });

  it('does not commit the late result of a member evicted for missing its session timeout', async () => {
    const bus = make();
    await bus.publish('t', recs(3));
    const deliveries: string[][] = [];
    let signal: AbortSignal | undefined;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const sub = await bus.subscribe({
      groupId: 'g',
      topics: ['t'],
      sessionTimeoutMs: 50,
      eachBatch: async (rs, ctx) => {
        signal ??= ctx.signal;
        deliveries.push(rs.map((r) => r.offset));
        if (deliveries.length === 1) await gate;
      },
    });
    subs.push(sub);
    await until(() => deliveries.length === 1, 'the first delivery');
    // Eviction aborts the batch's signal; the handler ignores it and finishes later.
    await until(() => signal?.aborted === true, 'the eviction');
    release();
    await until(() => deliveries.length === 2, 'the redelivery after rejoining');
    expect(deliveries[1]).toEqual(deliveries[0]);
  });

  it('runs onRevoked of the old owner before onAssigned of the new one', async () => {
    const bus = make();
    const events: string[] = [];
    const member = (name: string) =>
      bus.subscribe({
        groupId: 'g',
        topics: ['t'],
        eachBatch: async () => {},
        onAssigned: (tps) => void events.push(`${name}+${tps.map((t) => t.partition).join()}`),
        onRevoked: (tps) => void events.push(`${name}-${tps.map((t) => t.partition).join()}`),
      });
    subs.push(await member('a'));
    subs.push(await member('b'));
    expect(events).toEqual(['a+0,1', 'a-1', 'b+1']);
    await subs[0]!.stop();
    expect(events.slice(3)).toEqual(['a-0', 'b+0']);
  });

  it('drops records every group committed beyond the retention cap, but none a group still needs', async () => {
    const bus = make({ partitions: 1, retainCommittedRecords: 10 });
    const got: ConsumedRecord[] = [];
    subs.push(await bus.subscribe({ groupId: 'reader', topics: ['t'], eachBatch: async (rs) => void got.push(...rs) }));
    await bus.publish('t', recs(100));
    await until(() => got.length === 100, 'the reader to commit everything');
    const late: ConsumedRecord[] = [];
    subs.push(await bus.subscribe({ groupId: 'late', topics: ['t'], eachBatch: async (rs) => void late.push(...rs) }));
    await until(() => late.length > 0 && late[late.length - 1]!.offset === '99', 'the late group to catch up');
    expect(late.length).toBeGreaterThanOrEqual(10);
    expect(late.length).toBeLessThan(100);
    expect(Number(late[0]!.offset)).toBe(100 - late.length);

    const bus2 = make({ partitions: 1, retainCommittedRecords: 10 });
    subs.push(await bus2.subscribe({ groupId: 'stuck', topics: ['t'], eachBatch: async () => Promise.reject(new Error('never commits')) }));
    const got2: ConsumedRecord[] = [];
    subs.push(await bus2.subscribe({ groupId: 'reader', topics: ['t'], eachBatch: async (rs) => void got2.push(...rs) }));
    await bus2.publish('t', recs(100));
    await until(() => got2.length === 100, 'the reader to commit everything');
    const late2: ConsumedRecord[] = [];
    subs.push(await bus2.subscribe({ groupId: 'late', topics: ['t'], eachBatch: async (rs) => void late2.push(...rs) }));
    await until(() => late2.length === 100, 'every record, kept for the stuck group');
    expect(late2[0]!.offset).toBe('0');
  });

  it('refuses malformed records permanently and any call after close as retryable', async () => {
    const bus = make();
    await expect(bus.publish('t', [{ key: 'k', value: 'text' as unknown as Uint8Array }])).rejects.toBeInstanceOf(PermanentError);
    await bus.close();
    await expect(bus.subscribe({ groupId: 'g', topics: ['t'], eachBatch: async () => {} })).rejects.toBeInstanceOf(RetryableError);
    await expect(bus.ping()).resolves.toBeUndefined();
  });
});
