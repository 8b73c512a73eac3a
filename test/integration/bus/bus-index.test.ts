/**
 * services/bus/index.ts: createBus picks the implementation from the
 * configuration, and ensureCatalogTopics creates every catalog topic with
 * the configured prefix and partition count (checked on both buses).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Bus, createBus, ensureCatalogTopics, TOPICS, type TopicId } from '../../../services/bus/index.ts';
import { loadConfig } from '../../../services/core/config.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { assertKafkaReachable, testKafkaBrokers, uniqueName } from '../../helpers/kafka.ts';
import { eventually } from './contract-helpers.ts';

const cases = [
  { name: 'memory', brokers: [] as string[] },
  { name: 'kafka', brokers: testKafkaBrokers() },
];

describe.each(cases)('createBus + ensureCatalogTopics: $name', ({ name, brokers }) => {
  const open: Bus[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
  });

  /** A connected bus of this case under a fresh topic prefix, with the given partition count configured. */
  async function freshBus(topicPartitions: number) {
    if (brokers.length > 0) await assertKafkaReachable();
    const prefix = `${uniqueName('idx')}.`;
    const config = loadConfig({}, { kafkaBrokers: brokers, topicPrefix: prefix, topicPartitions, connectTimeoutMs: 10_000 });
    const bus = createBus(config, silentLogger());
    open.push(bus);
    await bus.connect();
    return { bus, config, prefix };
  }

  it('creates every catalog topic under the prefix with the configured partitions', async () => {
    const { bus, config, prefix } = await freshBus(3);
    expect(bus.kind).toBe(name);
    const names = await ensureCatalogTopics(bus, config);
    await ensureCatalogTopics(bus, config);
    const ids = Object.keys(TOPICS) as TopicId[];
    expect(ids.map((id) => names[id])).toEqual(ids.map((id) => prefix + TOPICS[id].name));
    const sub = await bus.subscribe({ groupId: uniqueName('idx-group'), topics: Object.values(names), sessionTimeoutMs: 6_000, eachBatch: async () => {} });
    const expected = ids.flatMap((id) => [0, 1, 2].map((p) => `${names[id]}#${p}`)).sort();
    await eventually(() => sub.assignment().length >= expected.length, 'every catalog partition to be assigned');
    expect(
      sub
        .assignment()
        .map((tp) => `${tp.topic}#${tp.partition}`)
        .sort(),
    ).toEqual(expected);
    await sub.stop();
    for (const id of ids) expect(await bus.partitionCount(names[id])).toBe(3);
  });

  it('refuses telemetry topics with different partition counts, naming them and the fix', async () => {
    const { bus, config, prefix } = await freshBus(4);
    // Made earlier by hand with another count: ensureCatalogTopics keeps existing topics as they are.
    await bus.ensureTopics([{ name: `${prefix}${TOPICS.metrics.name}`, partitions: 2 }]);
    const err = await ensureCatalogTopics(bus, config).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ZEROOPS_TOPICS_NOT_CO_PARTITIONED' });
    expect((err as Error).message).toContain(`${prefix}telemetry.traces 4, ${prefix}telemetry.metrics 2, ${prefix}telemetry.logs 4`);
    expect((err as Error).message).toContain('--partitions 4');
  });
});
