/**
 * Topic administration for the Kafka bus: creating topics that are missing,
 * waiting until every partition has a leader, and raising message limits of
 * topics that already exist.
 */
import type { Logger } from 'pino';
import { describeError, PermanentError } from '../core/errors.ts';
import type { TopicSpec } from './bus.ts';
import { type Admin, ConfigResourceTypes, ConfigSource, type DescribeConfigResponse } from './kafkajs.ts';

const MAX_MESSAGE_BYTES = 'max.message.bytes';

/** Throws a {@link PermanentError} for the first spec whose partition count is not a positive integer. */
export function checkTopicSpecs(specs: TopicSpec[]): void {
  for (const s of specs) {
    if (!Number.isInteger(s.partitions) || s.partitions < 1) {
      throw new PermanentError('ZEROOPS_BUS_BAD_TOPIC', `topic ${s.name}: partitions must be a positive integer, got ${s.partitions}`);
    }
  }
}

/**
 * Creates the topics of `specs` (existing ones keep their partitions), waits
 * up to `withinMs` (ms) for a leader on every partition, then raises message
 * limits that are too low. Errors are passed on as kafkajs raised them.
 */
export async function createTopics(admin: Admin, specs: TopicSpec[], withinMs: number, log: Logger): Promise<void> {
  // Existing topics keep their partitions (createTopics ignores TOPIC_ALREADY_EXISTS); a message limit too low is raised below.
  // kafkajs' own waitForLeaders gives up when the new topic is not yet in the broker's metadata
  // (UNKNOWN_TOPIC_OR_PARTITION, a window KRaft brokers have right after creation): wait here instead.
  await admin.createTopics({
    waitForLeaders: false,
    topics: specs.map((s) => ({
      topic: s.name,
      numPartitions: s.partitions,
      ...(s.maxMessageBytes !== undefined ? { configEntries: [{ name: MAX_MESSAGE_BYTES, value: String(s.maxMessageBytes) }] } : {}),
    })),
  });
  await waitForLeaders(
    admin,
    specs.map((s) => s.name),
    withinMs,
  );
  await raiseMessageLimits(admin, specs, log);
}

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
