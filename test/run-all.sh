#!/usr/bin/env bash
# The whole test suite: typecheck, then every vitest suite (unit, integration,
# end-to-end) against a real Kafka broker and a real PostgreSQL. Starts the
# broker (and stops it at the end, also on failure) unless it was already
# running; each test file creates its own database and topics.
set -uo pipefail
cd "$(dirname "$0")/.."

./test/postgres-up.sh || exit 1
# Tests reach the broker that this script manages (its port can be moved with ZEROOPS_KAFKA_PORT).
export ZEROOPS_TEST_KAFKA_BROKERS="${ZEROOPS_TEST_KAFKA_BROKERS:-127.0.0.1:${ZEROOPS_KAFKA_PORT:-19092}}"

started_kafka=0
if ! infra/kafka/kafka.sh status >/dev/null 2>&1; then
  infra/kafka/kafka.sh up || exit 1
  started_kafka=1
fi
cleanup() {
  if [ "$started_kafka" = 1 ]; then infra/kafka/kafka.sh down || true; fi
}
trap cleanup EXIT INT TERM

echo "== typecheck"
npx tsc --noEmit -p tsconfig.json || exit 1
npx tsc --noEmit -p services/web/ui/tsconfig.json || exit 1
echo "== vitest"
npx vitest run "$@"
