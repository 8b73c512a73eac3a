/**
 * Kafka-only recovery: subscriptions survive their broker being stopped and
 * started again. A member that was consuming before the outage resumes, and
 * a group that joins while the restarted broker is still loading its group
 * coordinator gets its records once the coordinator is ready: a subscription
 * never stays dead while it has not been stopped.
 *
 * Runs a PRIVATE broker (ports 19292/19293, its own run dir) so that the
 * shared broker on 19092 is never stopped.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Bus, BusRecord, ConsumedRecord, Subscription } from '../../../services/bus/bus.ts';
import { createKafkaBus } from '../../../services/bus/kafka-bus.ts';
import { isRetryable } from '../../../services/core/errors.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { createTelemetry } from '../../../services/core/telemetry.ts';
import { uniqueName } from '../../helpers/kafka.ts';
import { privateKafka } from '../../helpers/private-kafka.ts';
import { eventually, PARTITIONS, quick, rec, text } from './contract-helpers.ts';

const PORT = 19292;
const broker = privateKafka(PORT, 'recovery');

async function kafka(cmd: 'up' | 'down'): Promise<void> {
  await (cmd === 'up' ? broker.up() : broker.down());
}

const telemetry = createTelemetry();
let bus: Bus;

beforeAll(async () => {
  await kafka('up');
  bus = createKafkaBus({
    brokers: [`127.0.0.1:${PORT}`],
    clientId: uniqueName('zeroops-recovery'),
    logger: silentLogger(),
    connectTimeoutMs: 20_000,
    defaultPartitions: PARTITIONS,
    telemetry,
    // Short back-offs: the member should be back soon after the broker is.
    consumer: { restartBackoffMs: 200, maxRestartBackoffMs: 2_000 },
  });
  await bus.connect();
}, 180_000);

afterAll(async () => {
  await bus?.close();
  await broker.destroy();
}, 120_000);

/** Publishes, retrying while the bus answers that it is (still) unavailable. */
async function publishUntilAccepted(topic: string, records: BusRecord[]): Promise<void> {
  for (;;) {
    try {
      await bus.publish(topic, records);
      return;
    } catch (err) {
      if (!isRetryable(err)) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function batch(label: string, n: number): BusRecord[] {
  return Array.from({ length: n }, (_, i) => rec(`svc-${i % 7}`, `${label}#${i}`));
}

function values(got: ConsumedRecord[]): Set<string> {
  return new Set(got.map(text));
}

const has = (got: ConsumedRecord[], expected: BusRecord[]): boolean => {
  const seen = values(got);
  return expected.every((r) => seen.has(new TextDecoder().decode(r.value)));
};

function restarts(group: string): number {
  return telemetry.snapshot()[`zeroops.bus.consumer.restarts{group=${group}}`] ?? 0;
}

it('a member consuming before the broker restart resumes, and a group joining right after it gets every record', async () => {
  const topic = uniqueName('recovery');
  await bus.ensureTopics([{ name: topic, partitions: PARTITIONS }]);
  const early = uniqueName('early');
  const before = batch('before', 40);
  const after = batch('after', 40);
  const gotEarly: ConsumedRecord[] = [];
  const subs: Subscription[] = [await bus.subscribe(quick({ groupId: early, topics: [topic], eachBatch: async (rs) => void gotEarly.push(...rs) }))];
  await publishUntilAccepted(topic, before);
  await eventually(() => has(gotEarly, before), 'the first batch before the outage');

  await kafka('down');
  await kafka('up');
  // Joins while the restarted broker may still be loading its group coordinator.
  const late = uniqueName('late');
  const gotLate: ConsumedRecord[] = [];
  subs.push(await bus.subscribe(quick({ groupId: late, topics: [topic], eachBatch: async (rs) => void gotLate.push(...rs) })));
  await publishUntilAccepted(topic, after);

  await eventually(() => has(gotEarly, after), 'the member from before the outage to get the records published after it', 90_000);
  await eventually(() => has(gotLate, [...before, ...after]), 'the group that joined after the restart to get every record', 90_000);
  expect(subs[0]!.assignment().length).toBe(PARTITIONS);
  // The outage was survived by recreating the kafkajs consumer, and that is counted.
  expect(restarts(early)).toBeGreaterThanOrEqual(1);
  await Promise.all(subs.map((s) => s.stop()));
  expect(subs.map((s) => s.assignment())).toEqual([[], []]);
}, 300_000);
