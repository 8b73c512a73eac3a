/**
 * The bus contract: the same cases run against the in-process bus and the
 * Kafka bus (real broker from infra/kafka; unique topics and groups per test).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Bus, ConsumedRecord, Subscription, TopicPartition } from '../../../services/bus/bus.ts';
import { createMemoryBus } from '../../../services/bus/memory-bus.ts';
import { partitionForKey } from '../../../services/bus/murmur2.ts';
import { RetryableError } from '../../../services/core/errors.ts';
import { uniqueName } from '../../helpers/kafka.ts';
import { type BusFactory, eventually, idOf, keysCoveringPartitions, PARTITIONS, quick, rec, text } from './contract-helpers.ts';
import { kafkaFactory } from './kafka-factory.ts';

const memoryFactory: BusFactory = {
  name: 'memory',
  async make() {
    const bus = createMemoryBus({ partitions: PARTITIONS, retryBackoffMs: 50 });
    await bus.connect();
    return bus;
  },
};

const tpIds = (tps: TopicPartition[]): number[] => tps.map((tp) => tp.partition).sort((a, b) => a - b);

describe.each([memoryFactory, kafkaFactory])('bus contract: $name', (factory) => {
  const open: Bus[] = [];
  const subs: Subscription[] = [];

  async function setup(): Promise<{ bus: Bus; topic: string; group: string }> {
    const bus = await factory.make();
    open.push(bus);
    const topic = uniqueName('contract');
    await bus.ensureTopics([{ name: topic, partitions: PARTITIONS }]);
    return { bus, topic, group: uniqueName('group') };
  }

  async function consume(bus: Bus, group: string, topic: string, sink: ConsumedRecord[], extra: Partial<Parameters<Bus['subscribe']>[0]> = {}) {
    const sub = await bus.subscribe(quick({ groupId: group, topics: [topic], eachBatch: async (rs) => void sink.push(...rs), ...extra }));
    subs.push(sub);
    return sub;
  }

  afterEach(async () => {
    await Promise.all(subs.splice(0).map((s) => s.stop()));
    await Promise.all(open.splice(0).map((b) => b.close()));
  });

  it('delivers every record, keeps order per key, starts a new group at the earliest offset and partitions keys with murmur2', async () => {
    const { bus, topic, group } = await setup();
    const keys = keysCoveringPartitions(6);
    // Published before the group exists: a new group must still see these.
    for (let i = 0; i < 10; i++)
      await bus.publish(
        topic,
        keys.map((k) => rec(k, `${k}#${i}`)),
      );
    const got: ConsumedRecord[] = [];
    await consume(bus, group, topic, got);
    for (let i = 10; i < 20; i++)
      await bus.publish(
        topic,
        keys.map((k) => rec(k, `${k}#${i}`)),
      );
    await eventually(() => got.length >= keys.length * 20, `${keys.length * 20} records`);
    expect(got).toHaveLength(keys.length * 20);
    for (const k of keys) {
      const mine = got.filter((r) => r.key === k);
      expect(mine.map(text)).toEqual(Array.from({ length: 20 }, (_, i) => `${k}#${i}`));
      expect(new Set(mine.map((r) => r.partition))).toEqual(new Set([partitionForKey(k, PARTITIONS)]));
      const offsets = mine.map((r) => BigInt(r.offset));
      expect(offsets.every((o, i) => i === 0 || o > offsets[i - 1]!)).toBe(true);
    }
  });

  it('reports a member as joined once subscribe resolves, and not after stop (for /readyz)', async () => {
    const { bus, topic, group } = await setup();
    const sub = await consume(bus, group, topic, []);
    // kafkajs' first join may complete just after subscribe resolves; the member says so as soon as it has.
    await eventually(() => sub.joined(), 'the member to have joined');
    await sub.stop();
    expect(sub.joined()).toBe(false);
  });

  it('round-trips keys, binary values and headers', async () => {
    const { bus, topic, group } = await setup();
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const before = Date.now();
    await bus.publish(topic, [{ key: 'svc-ü', value: bytes, headers: { 'x-trace': 'abc', empty: '', ünï: 'çødé' } }]);
    const got: ConsumedRecord[] = [];
    await consume(bus, group, topic, got);
    await eventually(() => got.length === 1, 'the record');
    const r = got[0]!;
    expect(r.topic).toBe(topic);
    expect(r.key).toBe('svc-ü');
    expect(Array.from(r.value)).toEqual(Array.from(bytes));
    expect(r.headers).toEqual({ 'x-trace': 'abc', empty: '', ünï: 'çødé' });
    expect(r.partition).toBe(partitionForKey('svc-ü', PARTITIONS));
    expect(r.timestamp).toBeGreaterThanOrEqual(before - 1_000);
  });

  it('redelivers the same records after a handler throws, then commits', async () => {
    const { bus, topic, group } = await setup();
    await bus.publish(
      topic,
      Array.from({ length: 5 }, (_, i) => rec('one-key', `v${i}`)),
    );
    const attempts: string[][] = [];
    let failuresLeft = 2;
    await consume(bus, group, topic, [], {
      eachBatch: async (rs) => {
        attempts.push(rs.map(idOf));
        if (failuresLeft-- > 0) throw new Error('handler failed on purpose');
      },
    });
    await eventually(() => attempts.flat().length >= 15, 'three deliveries of the 5 records');
    expect(attempts.flat().slice(0, 15)).toEqual([...attempts[0]!, ...attempts[0]!, ...attempts[0]!]);
    // Committed after the third attempt: a restarted member of the group sees nothing old.
    await Promise.all(subs.splice(0).map((s) => s.stop()));
    await bus.publish(topic, [rec('one-key', 'after')]);
    const later: ConsumedRecord[] = [];
    await consume(bus, group, topic, later);
    await eventually(() => later.length >= 1, 'the record published after the restart');
    expect(later.map(text)).toEqual(['after']);
  });

  it('redelivers to the other member what a member had but never committed when it stops', async () => {
    const { bus, topic, group } = await setup();
    const keys = keysCoveringPartitions(8);
    const seenByA: ConsumedRecord[] = [];
    const subA = await consume(bus, group, topic, [], {
      eachBatch: async (rs, ctx) => {
        seenByA.push(...rs);
        // Simulates a member that dies mid-batch: it never resolves, so never commits.
        await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
      },
    });
    const gotB: ConsumedRecord[] = [];
    const subB = await consume(bus, group, topic, gotB);
    await eventually(() => subA.assignment().length > 0 && subB.assignment().length > 0, 'both members to own partitions');
    await bus.publish(
      topic,
      keys.map((k) => rec(k, `${k}-value`)),
    );
    await eventually(() => seenByA.length > 0, 'member A to receive a batch');
    await subA.stop();
    await eventually(() => new Set(gotB.map(text)).size === keys.length, 'member B to receive every record');
    const idsB = new Set(gotB.map(idOf));
    for (const r of seenByA) expect(idsB.has(idOf(r))).toBe(true);
    expect(tpIds(subB.assignment())).toEqual(Array.from({ length: PARTITIONS }, (_, i) => i));
  });

  it('moves the partitions of a member stuck in a batch past its session timeout', async () => {
    const { bus, topic, group } = await setup();
    const keys = keysCoveringPartitions(8);
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const seenByA: ConsumedRecord[] = [];
    // A ignores the abort signal and never heartbeats: it looks dead to the group.
    const subA = await consume(bus, group, topic, [], {
      sessionTimeoutMs: 2_000,
      eachBatch: async (rs) => {
        seenByA.push(...rs);
        await gate;
      },
    });
    const gotB: ConsumedRecord[] = [];
    const subB = await consume(bus, group, topic, gotB, { sessionTimeoutMs: 2_000 });
    await eventually(() => subA.assignment().length > 0 && subB.assignment().length > 0, 'both members to own partitions');
    await bus.publish(
      topic,
      keys.map((k) => rec(k, `${k}-value`)),
    );
    await eventually(() => new Set(gotB.map(text)).size === keys.length, "member B to receive every record, A's included");
    expect(seenByA.length).toBeGreaterThan(0);
    const idsB = new Set(gotB.map(idOf));
    for (const r of seenByA) expect(idsB.has(idOf(r))).toBe(true);
    release();
  });

  it('shares the partitions between two members, each record going to exactly one, with onAssigned/onRevoked', async () => {
    const { bus, topic, group } = await setup();
    const owned = { a: new Set<number>(), b: new Set<number>() };
    const track = (who: 'a' | 'b') => ({
      onAssigned: (tps: TopicPartition[]) => {
        for (const tp of tps) owned[who].add(tp.partition);
      },
      onRevoked: (tps: TopicPartition[]) => {
        for (const tp of tps) owned[who].delete(tp.partition);
      },
    });
    const gotA: ConsumedRecord[] = [];
    const gotB: ConsumedRecord[] = [];
    const subA = await consume(bus, group, topic, gotA, track('a'));
    await eventually(() => owned.a.size === PARTITIONS, 'member A alone to be assigned every partition');
    const subB = await consume(bus, group, topic, gotB, track('b'));
    const all = Array.from({ length: PARTITIONS }, (_, i) => i);
    await eventually(() => {
      const a = tpIds(subA.assignment());
      const b = tpIds(subB.assignment());
      return a.length > 0 && b.length > 0 && [...a, ...b].sort().join() === all.join();
    }, 'a disjoint split covering every partition');
    await eventually(() => owned.a.size + owned.b.size === PARTITIONS, 'the callbacks to settle');
    expect([...owned.a].sort()).toEqual(tpIds(subA.assignment()));
    expect([...owned.b].sort()).toEqual(tpIds(subB.assignment()));

    const keys = keysCoveringPartitions(12);
    for (let i = 0; i < 3; i++)
      await bus.publish(
        topic,
        keys.map((k) => rec(k, `${k}#${i}`)),
      );
    await eventually(() => gotA.length + gotB.length >= keys.length * 3, 'every record');
    const ids = [...gotA, ...gotB].map(idOf);
    expect(new Set(ids).size).toBe(keys.length * 3);
    expect(ids).toHaveLength(keys.length * 3);
    expect(gotA.every((r) => owned.a.has(r.partition))).toBe(true);
    expect(gotB.every((r) => owned.b.has(r.partition))).toBe(true);
    expect(gotA.length).toBeGreaterThan(0);
    expect(gotB.length).toBeGreaterThan(0);

    await subB.stop();
    await eventually(() => owned.a.size === PARTITIONS, 'member A to get the partitions back when B leaves');
    expect(owned.b.size).toBe(0);
  });

  it('co-partitions a group over several topics: partition p of every topic goes to the same member', async () => {
    const bus = await factory.make();
    open.push(bus);
    const topics = [uniqueName('co-a'), uniqueName('co-b'), uniqueName('co-c')];
    await bus.ensureTopics(topics.map((name) => ({ name, partitions: PARTITIONS })));
    const group = uniqueName('group');
    // Three members over 3 topics x 4 partitions: round-robin over all 12 topic-partitions would split partition 0 of the topics across members.
    const members = await Promise.all(
      [0, 1, 2].map(async () => {
        const sub = await bus.subscribe(quick({ groupId: group, topics, eachBatch: async () => {} }));
        subs.push(sub);
        return sub;
      }),
    );
    const all = topics.flatMap((t) => Array.from({ length: PARTITIONS }, (_, p) => `${t}/${p}`)).sort();
    const held = () => members.map((m) => m.assignment().map((tp) => `${tp.topic}/${tp.partition}`));
    await eventually(() => held().flat().sort().join() === all.join() && held().every((h) => h.length > 0), 'the three members to share every topic-partition');
    for (const m of members) {
      const byTopic = topics.map((t) => tpIds(m.assignment().filter((tp) => tp.topic === t)));
      expect(byTopic[1]).toEqual(byTopic[0]);
      expect(byTopic[2]).toEqual(byTopic[0]);
    }
  });

  it('resumes a restarted member at the committed offset', async () => {
    const { bus, topic, group } = await setup();
    await bus.publish(
      topic,
      Array.from({ length: 10 }, (_, i) => rec('k', `old-${i}`)),
    );
    const first: ConsumedRecord[] = [];
    const sub = await consume(bus, group, topic, first);
    await eventually(() => first.length === 10, 'the first 10 records');
    await sub.stop();
    await bus.publish(
      topic,
      Array.from({ length: 5 }, (_, i) => rec('k', `new-${i}`)),
    );
    const second: ConsumedRecord[] = [];
    await consume(bus, group, topic, second);
    await eventually(() => second.length >= 5, 'the 5 new records');
    expect(second.map(text)).toEqual(Array.from({ length: 5 }, (_, i) => `new-${i}`));
    expect(BigInt(second[0]!.offset)).toBe(BigInt(first[9]!.offset) + 1n);
  });

  it('starts a transient group at the end and forgets it when its member stops', async () => {
    const { bus, topic, group } = await setup();
    /** Publishes `live` records until the member gets one: it reads from then on. */
    const untilLive = async (sink: ConsumedRecord[], tag: string) => {
      for (let i = 0; !sink.some((r) => text(r).startsWith(tag)); i++) {
        if (i > 200) throw new Error(`the transient member got none of the ${tag} records published over 40 s`);
        await bus.publish(topic, [rec('k', `${tag}-${i}`)]);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    await bus.publish(
      topic,
      Array.from({ length: 5 }, (_, i) => rec('k', `old-${i}`)),
    );
    const first: ConsumedRecord[] = [];
    const sub = await consume(bus, group, topic, first, { transient: true });
    await untilLive(first, 'live');
    expect(first.filter((r) => text(r).startsWith('old'))).toEqual([]);
    await sub.stop();
    // A group that outlived its member would resume here, at gap-0.
    await bus.publish(
      topic,
      Array.from({ length: 3 }, (_, i) => rec('k', `gap-${i}`)),
    );
    const second: ConsumedRecord[] = [];
    await consume(bus, group, topic, second, { transient: true });
    await untilLive(second, 'again');
    expect(second.map(text).filter((t) => !t.startsWith('again'))).toEqual([]);
  });

  it('pings while open and refuses to publish after close with a RetryableError', async () => {
    const { bus, topic } = await setup();
    await bus.ping();
    await bus.close();
    await bus.close();
    const err = await bus.publish(topic, [rec('k', 'v')]).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).code).toBe('ZEROOPS_BUS_UNAVAILABLE');
  });
});
