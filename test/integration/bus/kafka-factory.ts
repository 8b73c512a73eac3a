/**
 * The Kafka side of the bus contract: a bus on the test broker from
 * infra/kafka. Fails (never skips) when the broker is down.
 */
import { createKafkaBus } from '../../../services/bus/kafka-bus.ts';
import { createLogger } from '../../../services/core/logger.ts';
import { assertKafkaReachable, testKafkaBrokers, uniqueName } from '../../helpers/kafka.ts';
import { type BusFactory, PARTITIONS } from './contract-helpers.ts';

/** Builds connected Kafka buses for the contract tests. */
export const kafkaFactory: BusFactory = {
  name: 'kafka',
  async make() {
    await assertKafkaReachable();
    const bus = createKafkaBus({
      brokers: testKafkaBrokers(),
      clientId: uniqueName('contract'),
      logger: createLogger({ level: 'warn', name: 'bus-contract' }),
      connectTimeoutMs: 10_000,
      defaultPartitions: PARTITIONS,
    });
    await bus.connect();
    return bus;
  },
};
