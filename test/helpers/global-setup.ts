/**
 * vitest global set-up. The suite's external services (Kafka from
 * infra/kafka, PostgreSQL) are started by `make test`; each integration test
 * checks its own service and fails with a message saying what to start.
 * Here we only pin defaults that every test file shares.
 */
export function setup(): void {
  process.env.ZEROOPS_TEST_KAFKA_BROKERS ??= '127.0.0.1:19092';
  process.env.ZEROOPS_TEST_PG_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
}
