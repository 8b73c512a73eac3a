/**
 * The Kafka side of the bus contract: a bus on the test broker from
 * infra/kafka. Fails (never skips) when the broker is down.
 */
import { createLogger } from '../../../services/core/logger.ts';
import { connectTestKafkaBus } from '../../helpers/kafka.ts';
import { type BusFactory, PARTITIONS } from './contract-helpers.ts';

/** Builds connected Kafka buses for the contract tests; kafkajs warnings go to stdout. */
export const kafkaFactory: BusFactory = {
  name: 'kafka',
  make: () => connectTestKafkaBus({ logger: createLogger({ level: 'warn', name: 'bus-contract' }), defaultPartitions: PARTITIONS }),
};
