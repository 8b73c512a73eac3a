/**
 * Kafka-only failure behaviour: an unreachable broker surfaces quickly as a
 * RetryableError that names the address, on connect, publish and ping.
 */
import { describe, expect, it } from 'vitest';
import { createKafkaBus } from '../../../services/bus/kafka-bus.ts';
import { RetryableError } from '../../../services/core/errors.ts';
import { silentLogger } from '../../../services/core/logger.ts';
import { rec } from './contract-helpers.ts';

const DEAD = '127.0.0.1:1';

function deadBus() {
  return createKafkaBus({ brokers: [DEAD], clientId: 'zeroops-dead', logger: silentLogger(), connectTimeoutMs: 1_500, pingTimeoutMs: 1_000 });
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

describe('kafka bus with an unreachable broker', () => {
  it('fails to connect with a message naming the address, the setting and the timeout', async () => {
    const bus = deadBus();
    const err = await rejection(bus.connect());
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).code).toBe('ZEROOPS_BUS_UNAVAILABLE');
    expect((err as Error).message).toMatch(/^cannot reach Kafka at 127\.0\.0\.1:1 \(KAFKA_BROKERS\) within 1500 ms: /);
    await bus.close();
  });

  it('rejects a publish with a RetryableError naming the broker', async () => {
    const bus = deadBus();
    const err = await rejection(bus.publish('anything', [rec('k', 'v')]));
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as RetryableError).code).toBe('ZEROOPS_BUS_UNAVAILABLE');
    expect((err as Error).message).toContain(DEAD);
    await bus.close();
  });

  it('rejects a ping with a RetryableError', async () => {
    const bus = deadBus();
    const err = await rejection(bus.ping());
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as Error).message).toContain(DEAD);
    await bus.close();
  });
});
