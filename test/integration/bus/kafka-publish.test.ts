/**
 * Kafka-only publish behaviour: publishes made while a Produce request is in
 * flight share the next one (group commit), yet each keeps its own verdict.
 * A record too large for the broker is refused with a PermanentError (413)
 * and the publishes queued beside it are stored all the same.
 */
import { afterAll, expect, it } from 'vitest';
import type { Bus, ConsumedRecord } from '../../../services/bus/bus.ts';
import { PermanentError } from '../../../services/core/errors.ts';
import { connectTestKafkaBus, uniqueName } from '../../helpers/kafka.ts';
import { eventually, quick, rec, text } from './contract-helpers.ts';

const open: Bus[] = [];

afterAll(async () => {
  await Promise.all(open.map((b) => b.close()));
});

it('refuses a record larger than the broker takes (413) while the publishes queued with it are stored', async () => {
  const bus = await connectTestKafkaBus();
  open.push(bus);
  const topic = uniqueName('publish');
  await bus.ensureTopics([{ name: topic, partitions: 2 }]);
  // The broker's default message.max.bytes is 1 MiB.
  const huge = { key: 'k-huge', value: new Uint8Array(3 * 1024 * 1024) };
  const outcomes = await Promise.allSettled([
    bus.publish(topic, [rec('k-1', 'one')]),
    bus.publish(topic, [rec('k-2', 'two'), rec('k-3', 'three')]),
    bus.publish(topic, [huge]),
    bus.publish(topic, [rec('k-4', 'four')]),
  ]);
  expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  const refusal = (outcomes[2] as PromiseRejectedResult).reason as PermanentError;
  expect(refusal).toBeInstanceOf(PermanentError);
  expect([refusal.code, refusal.statusCode]).toEqual(['ZEROOPS_BUS_RECORD_REFUSED', 413]);

  const got: ConsumedRecord[] = [];
  const sub = await bus.subscribe(quick({ groupId: uniqueName('group'), topics: [topic], eachBatch: async (rs) => void got.push(...rs) }));
  await eventually(() => got.length >= 4, 'the four small records');
  await sub.stop();
  expect(got.map(text).sort()).toEqual(['four', 'one', 'three', 'two']);
});

it('raises max.message.bytes of an existing topic to its spec, so records over 1 MiB are stored', async () => {
  const bus = await connectTestKafkaBus();
  open.push(bus);
  const topic = uniqueName('limit');
  // Made first without a limit (the broker's 1 MiB), as by an older version or auto-creation.
  await bus.ensureTopics([{ name: topic, partitions: 1 }]);
  const big = { key: 'k-big', value: new Uint8Array(3 * 1024 * 1024).fill(7) };
  await expect(bus.publish(topic, [big])).rejects.toMatchObject({ code: 'ZEROOPS_BUS_RECORD_REFUSED', statusCode: 413 });

  const again = await connectTestKafkaBus();
  open.push(again);
  await again.ensureTopics([{ name: topic, partitions: 1, maxMessageBytes: 4 * 1024 * 1024 }]);
  await again.publish(topic, [big, rec('k-small', 'small')]);

  const got: ConsumedRecord[] = [];
  const sub = await again.subscribe(quick({ groupId: uniqueName('group'), topics: [topic], eachBatch: async (rs) => void got.push(...rs) }));
  await eventually(() => got.length >= 2, 'the large and the small record');
  await sub.stop();
  expect(got.map((r) => [r.key, r.value.byteLength])).toEqual([
    ['k-big', 3 * 1024 * 1024],
    ['k-small', 5],
  ]);
  expect(Buffer.from(got[0]?.value ?? []).equals(Buffer.from(big.value))).toBe(true);
});
