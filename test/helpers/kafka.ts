/**
 * Helpers for tests that need the real Kafka broker from infra/kafka.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import type { Logger } from 'pino';
import type { Bus } from '../../services/bus/bus.ts';
import { createKafkaBus } from '../../services/bus/kafka-bus.ts';
import { silentLogger } from '../../services/core/logger.ts';

/** Bootstrap servers of the test broker: env `ZEROOPS_TEST_KAFKA_BROKERS` (comma-separated), default `127.0.0.1:19092`. */
export function testKafkaBrokers(): string[] {
  const raw = process.env.ZEROOPS_TEST_KAFKA_BROKERS ?? '';
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return list.length > 0 ? list : ['127.0.0.1:19092'];
}

function canConnect(address: string, timeoutMs: number): Promise<boolean> {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i);
  const port = Number(address.slice(i + 1));
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/**
 * Throws (so that the test FAILS, never skips) unless a test broker accepts
 * TCP connections within `timeoutMs` (default 3000).
 */
export async function assertKafkaReachable(timeoutMs = 3_000): Promise<void> {
  const brokers = testKafkaBrokers();
  const results = await Promise.all(brokers.map((b) => canConnect(b, timeoutMs)));
  if (!results.some((ok) => ok)) {
    throw new Error(`Kafka is not reachable at ${brokers.join(',')}: run \`make kafka-up\` (or infra/kafka/kafka.sh up)`);
  }
}

/** A name unique to this run, for topics and consumer groups: `<prefix>-<time>-<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/**
 * A connected Kafka bus on the test broker (fails when it is down), with a
 * unique client id. Topics it creates implicitly get `defaultPartitions`
 * partitions (default 4). The caller closes it.
 */
export async function connectTestKafkaBus(opts: { logger?: Logger; defaultPartitions?: number } = {}): Promise<Bus> {
  await assertKafkaReachable();
  const bus = createKafkaBus({
    brokers: testKafkaBrokers(),
    clientId: uniqueName('zeroops-test'),
    logger: opts.logger ?? silentLogger(),
    connectTimeoutMs: 10_000,
    defaultPartitions: opts.defaultPartitions ?? 4,
  });
  await bus.connect();
  return bus;
}
