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
# Suites whose timing is part of what they assert (live OTLP traffic through
# 1-second windows, 20 fault episodes in a row) run on their own after the
# rest, so the other suites' CPU use cannot starve their traffic.
ALONE=(test/e2e/live-loop.test.ts)
if [ "$#" -gt 0 ]; then
  echo "== vitest $*"
  npx vitest run "$@"
  exit $?
fi
excludes=()
for f in "${ALONE[@]}"; do excludes+=(--exclude "$f"); done
echo "== vitest (all suites but ${ALONE[*]})"
npx vitest run "${excludes[@]}" || status=$?
echo "== vitest, alone: ${ALONE[*]}"
npx vitest run "${ALONE[@]}" || status=$?
exit "${status:-0}"
