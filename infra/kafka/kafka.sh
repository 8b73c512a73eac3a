#!/usr/bin/env bash
# Single-node KRaft Apache Kafka broker for zeroops development and CI.
#
# The broker's jars come from Maven Central (see pom.xml); no Docker, no
# tarball download. Everything this script writes lives in infra/kafka/lib
# (jars) and infra/kafka/run (config, data, log, pid), both git-ignored.
#
# Usage: infra/kafka/kafka.sh fetch|up|down|status|logs [-f] [LINES]|help
# Environment (defaults in brackets):
#   ZEROOPS_KAFKA_PORT              PLAINTEXT listener on 127.0.0.1 [19092]
#   ZEROOPS_KAFKA_CONTROLLER_PORT   KRaft controller listener on 127.0.0.1 [19093]
#   ZEROOPS_KAFKA_FRESH=1           `up` stops the broker and wipes its data first
#   ZEROOPS_KAFKA_RUN_DIR           config, data, log and pid of this broker [infra/kafka/run]
#   ZEROOPS_KAFKA_START_TIMEOUT     seconds `up` waits for readiness [90]
#   ZEROOPS_KAFKA_STOP_TIMEOUT      seconds `down` waits after SIGTERM [30]
#   ZEROOPS_KAFKA_RETENTION_BYTES   bytes kept per partition, oldest segments deleted first [536870912; -1: no cap]
#   ZEROOPS_KAFKA_RETENTION_CHECK_MS how often retention is applied [30000]
#   ZEROOPS_KAFKA_JVM_OPTS          heap and GC flags of the broker JVM [see JVM_OPTS below]
#   JAVA_HOME                       Java 17+ to use [java on PATH]
set -euo pipefail

KAFKA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
LIB_DIR="$KAFKA_DIR/lib"
RUN_DIR="${ZEROOPS_KAFKA_RUN_DIR:-$KAFKA_DIR/run}"
DATA_DIR="$RUN_DIR/data"
PROPS_FILE="$RUN_DIR/server.properties"
PID_FILE="$RUN_DIR/kafka.pid"
LOG_FILE="$RUN_DIR/kafka.log"
OUT_FILE="$RUN_DIR/kafka.out"     # JVM stdout/stderr: crashes before log4j is up
FORMAT_LOG="$RUN_DIR/format.log"
FETCH_LOG="$RUN_DIR/fetch.log"
LOCK_FILE="$RUN_DIR/.lock"
# Written after a complete copy; holds the pom's checksum so that a version
# bump in pom.xml triggers a clean refetch instead of mixing jar versions.
STAMP_FILE="$LIB_DIR/.fetched"

PORT="${ZEROOPS_KAFKA_PORT:-19092}"
CONTROLLER_PORT="${ZEROOPS_KAFKA_CONTROLLER_PORT:-19093}"
START_TIMEOUT="${ZEROOPS_KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT="${ZEROOPS_KAFKA_STOP_TIMEOUT:-30}"
RETENTION_BYTES="${ZEROOPS_KAFKA_RETENTION_BYTES:-536870912}"
RETENTION_CHECK_MS="${ZEROOPS_KAFKA_RETENTION_CHECK_MS:-30000}"
HOST=127.0.0.1
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
JVM_OPTS="${ZEROOPS_KAFKA_JVM_OPTS:--Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20}"

log() { printf 'kafka.sh: %s\n' "$*"; }
die() { printf 'kafka.sh: error: %s\n' "$*" >&2; exit 1; }

check_env() {
  local name value
  for name in PORT CONTROLLER_PORT START_TIMEOUT STOP_TIMEOUT; do
    value="${!name}"
    [[ "$value" =~ ^[0-9]+$ ]] || die "ZEROOPS_KAFKA_$name must be a whole number, got '$value'"
  done
  [ "$PORT" != "$CONTROLLER_PORT" ] ||
    die "ZEROOPS_KAFKA_PORT and ZEROOPS_KAFKA_CONTROLLER_PORT must differ (both $PORT)"
}

# Serialises up/down/fetch so that two callers (say, parallel CI steps) do not
# start two brokers on one data dir. The broker itself must not inherit fd 9.
take_lock() {
  mkdir -p "$RUN_DIR"
  command -v flock >/dev/null 2>&1 || return 0
  exec 9>"$LOCK_FILE"
  flock -w 300 9 || die "another kafka.sh is still running (lock $LOCK_FILE)"
}

pom_checksum() { cksum <"$KAFKA_DIR/pom.xml" | cut -d' ' -f1; }

jars_present() {
  [ -f "$STAMP_FILE" ] && [ "$(cat "$STAMP_FILE")" = "$(pom_checksum)" ]
}

do_fetch() {
  if jars_present; then
    log "jars already in $LIB_DIR ($(find "$LIB_DIR" -name '*.jar' | wc -l) jars)"
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "Maven (mvn) is needed to fetch the Kafka jars"
  log "fetching Kafka jars (about 45 MB) from Maven Central into $LIB_DIR ..."
  rm -rf "$LIB_DIR"
  # -q keeps Maven silent unless it fails; its log is shown only then (Debian's
  # Maven 3.8 prints stray colour escapes to stderr even with -B -q).
  if ! mvn -B -q -f "$KAFKA_DIR/pom.xml" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIB_DIR" \
      >"$FETCH_LOG" 2>&1; then
    sed 's/\x1b\[[0-9;]*m//g' "$FETCH_LOG" | tail -n 40 >&2
    die "Maven could not fetch the Kafka jars (its output above, in $FETCH_LOG)"
  fi
  ls "$LIB_DIR"/kafka_2.13-*.jar >/dev/null 2>&1 || die "Maven ran but no kafka_2.13 jar is in $LIB_DIR"
  pom_checksum >"$STAMP_FILE"
  log "fetched $(find "$LIB_DIR" -name '*.jar' | wc -l) jars ($(du -sh "$LIB_DIR" | cut -f1))"
}

is_alive() {
  local state
  state="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1
  [ -n "$state" ] && [[ "$state" != Z* ]]
}

# A process is ours if it runs kafka.Kafka on this checkout's server.properties.
is_our_broker() {
  local args
  args="$(ps -ww -o args= -p "$1" 2>/dev/null)" || return 1
  [[ "$args" == *kafka.Kafka* && "$args" == *"$PROPS_FILE"* ]] && is_alive "$1"
}

# Prints the pid of this checkout's broker; the pid file first, then a scan so
# that a lost pid file never leaves an unmanageable broker behind.
broker_pid() {
  local pid
  if [ -f "$PID_FILE" ]; then
    pid="$(tr -dc '0-9' <"$PID_FILE")"
    if [ -n "$pid" ] && is_our_broker "$pid"; then echo "$pid"; return 0; fi
    rm -f "$PID_FILE"
  fi
  pid="$(ps -eww -o pid=,args= | awk -v p="$PROPS_FILE" \
    'index($0, "kafka.Kafka") && index($0, p) { print $1; exit }')"
  if [ -n "$pid" ] && is_our_broker "$pid"; then
    echo "$pid" >"$PID_FILE"
    echo "$pid"
    return 0
  fi
  return 1
}

port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null
}

render_props() {
  cat <<EOF
# Generated by infra/kafka/kafka.sh; edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DATA_DIR

# One replica of everything: the defaults (3, min.isr 2) leave consumers
# looping on "The group coordinator is not available".
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=4

# Topics appear on first use, as tests expect.
auto.create.topics.enable=true
num.partitions=4
delete.topic.enable=true

# Fast group joins and short sessions for tests.
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
group.consumer.min.session.timeout.ms=1000
group.consumer.min.heartbeat.interval.ms=500
group.consumer.heartbeat.interval.ms=1000
group.share.min.session.timeout.ms=1000
group.share.min.heartbeat.interval.ms=500

# A small machine.
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
background.threads=4
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=4194304
log.index.size.max.bytes=1048576

# Tests and benchmarks need their records for minutes, not Kafka's 7 days
# (one bench-ingest run writes tens of GB at ~150 MB/s): 64 MiB segments,
# deleted an hour after their last record or once a partition holds more
# than ZEROOPS_KAFKA_RETENTION_BYTES (checked every 30 s).
log.segment.bytes=67108864
log.retention.ms=3600000
log.retention.bytes=${RETENTION_BYTES}
log.retention.check.interval.ms=${RETENTION_CHECK_MS}
EOF
}

# Fresh data dir -> `StorageTool format` once. A random 16-byte, base64url id
# is what Kafka's own `random-uuid` prints; making it here saves a JVM start.
format_if_needed() {
  [ -f "$DATA_DIR/meta.properties" ] && return 0
  local id
  rm -rf "$DATA_DIR"
  mkdir -p "$DATA_DIR"
  id="-"
  while [[ "$id" == -* ]]; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  done
  log "formatting $DATA_DIR (cluster id $id)"
  : >"$FORMAT_LOG"
  if ! "$JAVA" -Xmx256m -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.xml" \
      -Dzeroops.kafka.log="$FORMAT_LOG" -cp "$LIB_DIR/*" \
      kafka.tools.StorageTool format -t "$id" -c "$PROPS_FILE" >>"$FORMAT_LOG" 2>&1; then
    tail -n 60 "$FORMAT_LOG" >&2
    rm -rf "$DATA_DIR"
    die "formatting the data dir failed (output above, in $FORMAT_LOG)"
  fi
}

show_failure() {
  {
    echo "---- last 60 lines of $LOG_FILE ----"
    if [ -s "$LOG_FILE" ]; then tail -n 60 "$LOG_FILE"; else echo "(empty)"; fi
    # A failed start ends in a page of shutdown chatter; the cause sits in the
    # first ERROR lines and the exception message right after them.
    if grep -qE '^\[[^]]*\] (ERROR|FATAL) ' "$LOG_FILE" 2>/dev/null; then
      echo "---- first errors in $LOG_FILE ----"
      grep -E -A1 '^\[[^]]*\] (ERROR|FATAL) ' "$LOG_FILE" | grep -vE '^(--|[[:space:]]+at )' | head -n 8
    fi
    if [ -s "$OUT_FILE" ]; then
      echo "---- last 20 lines of $OUT_FILE (JVM stdout/stderr) ----"
      tail -n 20 "$OUT_FILE"
    fi
    echo "----"
  } >&2
}

stop_pid() {
  local pid="$1" waited=0
  kill -TERM "$pid" 2>/dev/null || true
  while is_alive "$pid" && [ "$waited" -lt $((STOP_TIMEOUT * 10)) ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  if is_alive "$pid"; then
    log "broker (pid $pid) still running after ${STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while is_alive "$pid"; do sleep 0.1; done
  fi
  rm -f "$PID_FILE"
}

launch() {
  local pid="" _
  [ -f "$LOG_FILE" ] && mv -f "$LOG_FILE" "$LOG_FILE.prev"
  : >"$OUT_FILE"
  rm -f "$PID_FILE"
  # setsid: the broker outlives this shell and its job-control signals. The
  # inner bash records its own pid, which `exec` hands on to the JVM.
  # shellcheck disable=SC2016,SC2086 # $$ and $@ are for the inner bash; JVM_OPTS splits into flags
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" \
    "$JAVA" $JVM_OPTS \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.xml" -Dzeroops.kafka.log="$LOG_FILE" \
    -cp "$LIB_DIR/*" kafka.Kafka "$PROPS_FILE" \
    </dev/null >>"$OUT_FILE" 2>&1 9>&- &
  for _ in $(seq 50); do
    [ -f "$PID_FILE" ] && pid="$(tr -dc '0-9' <"$PID_FILE")"
    [ -n "$pid" ] && break
    sleep 0.1
  done
  [ -n "$pid" ] || die "the broker did not start (no pid in $PID_FILE)"
  echo "$pid"
}

wait_ready() {
  local pid="$1" deadline=$((SECONDS + START_TIMEOUT))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if ! is_alive "$pid"; then
      show_failure
      rm -f "$PID_FILE"
      die "the broker exited during start-up (log tail above)"
    fi
    if grep -q 'Kafka Server started' "$LOG_FILE" 2>/dev/null && port_open "$PORT"; then
      return 0
    fi
    sleep 0.25
  done
  show_failure
  stop_pid "$pid"
  die "the broker was not ready within ${START_TIMEOUT}s (log tail above); stopped it"
}

cmd_up() {
  local pid t0 new_props="$RUN_DIR/server.properties.new"
  take_lock
  if ! jars_present && pid="$(broker_pid)"; then
    log "pom.xml changed: stopping the broker (pid $pid) before replacing its jars"
    stop_pid "$pid"
  fi
  do_fetch
  command -v "$JAVA" >/dev/null 2>&1 || die "java not found (Java 17+ needed; set JAVA_HOME)"
  render_props >"$new_props"
  if pid="$(broker_pid)"; then
    if [ "${ZEROOPS_KAFKA_FRESH:-0}" = 1 ]; then
      log "ZEROOPS_KAFKA_FRESH=1: stopping the running broker (pid $pid)"
      stop_pid "$pid"
    elif cmp -s "$new_props" "$PROPS_FILE" && port_open "$PORT" && port_open "$CONTROLLER_PORT"; then
      rm -f "$new_props"
      log "already running (pid $pid), bootstrap $HOST:$PORT"
      return 0
    else
      log "broker (pid $pid) is unhealthy or its config changed; restarting it"
      stop_pid "$pid"
    fi
  fi
  mv -f "$new_props" "$PROPS_FILE"
  if [ "${ZEROOPS_KAFKA_FRESH:-0}" = 1 ]; then
    log "ZEROOPS_KAFKA_FRESH=1: wiping $DATA_DIR"
    rm -rf "$DATA_DIR"
  fi
  port_open "$PORT" && log "warning: $HOST:$PORT already accepts connections (another process?)"
  port_open "$CONTROLLER_PORT" && log "warning: $HOST:$CONTROLLER_PORT already accepts connections (another process?)"
  t0="$(date +%s%N)"
  format_if_needed
  log "starting broker on $HOST:$PORT (controller $HOST:$CONTROLLER_PORT), log $LOG_FILE"
  pid="$(launch)"
  wait_ready "$pid"
  log "up (pid $pid) in $(( ($(date +%s%N) - t0) / 1000000 )) ms, bootstrap $HOST:$PORT"
}

cmd_down() {
  local pid
  take_lock
  if ! pid="$(broker_pid)"; then
    rm -f "$PID_FILE"
    log "not running"
    return 0
  fi
  log "stopping broker (pid $pid)"
  stop_pid "$pid"
  log "stopped"
}

# The port a listener (PLAINTEXT or CONTROLLER) has in the running config.
configured_port() {
  sed -n "s/^listeners=.*$1:\/\/[^:,]*:\([0-9]*\).*/\1/p" "$PROPS_FILE" 2>/dev/null
}

cmd_status() {
  local pid port cport
  if ! pid="$(broker_pid)"; then
    log "not running"
    return 3
  fi
  # Report what the running broker was started with, whatever the env says now.
  port="$(configured_port PLAINTEXT)"; port="${port:-$PORT}"
  cport="$(configured_port CONTROLLER)"; cport="${cport:-$CONTROLLER_PORT}"
  if port_open "$port"; then
    log "running (pid $pid), bootstrap $HOST:$port, controller $HOST:$cport, data $DATA_DIR"
    return 0
  fi
  log "process $pid is running but $HOST:$port does not accept connections (see: kafka.sh logs)"
  return 1
}

cmd_logs() {
  local follow="" lines=100 arg
  for arg in "$@"; do
    case "$arg" in
      -f|--follow) follow=1 ;;
      *[!0-9]*|'') die "usage: kafka.sh logs [-f] [LINES]" ;;
      *) lines="$arg" ;;
    esac
  done
  [ -f "$LOG_FILE" ] || die "no log yet ($LOG_FILE); run: kafka.sh up"
  if [ -n "$follow" ]; then exec tail -n "$lines" -F "$LOG_FILE"; fi
  tail -n "$lines" "$LOG_FILE"
}

usage() {
  sed -n '2,18s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

main() {
  local cmd="${1:-help}"
  [ $# -gt 0 ] && shift
  check_env
  case "$cmd" in
    fetch) take_lock; do_fetch ;;
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    logs) cmd_logs "$@" ;;
    help|-h|--help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
