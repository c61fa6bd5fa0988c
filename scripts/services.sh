#!/usr/bin/env bash
# vitals-bench services: a Kafka broker (KRaft) and a MySQL-compatible database.
#   bash scripts/services.sh up      start what is not running (idempotent)
#   bash scripts/services.sh status  each service with address and version; non-zero if one is down
#   bash scripts/services.sh down    stop what `up` started, nothing else
# `up` and `down` hold a lock (.cache/services.lock): run at once, the second waits for the
# first, then finds the services up (or down).
# Configuration (environment): KAFKA_BROKERS, MYSQL_URL (use existing servers), KAFKA_HOME,
# KAFKA_VERSION, KAFKA_PORT, MYSQL_PORT, VITALS_CACHE_DIR. Addresses and the generated database
# password are written to .cache/services.env (git-ignored), which the CLI reads.
source "$(dirname "${BASH_SOURCE[0]}")/services/common.sh"
source "$PROJECT_ROOT/scripts/services/kafka.sh"
source "$PROJECT_ROOT/scripts/services/mariadb.sh"

docker_available() {
  [[ "${VITALS_USE_DOCKER:-auto}" != never ]] && command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1
}

[[ -d "$PROJECT_ROOT/node_modules/kafkajs" ]] || die "node modules missing: run npm ci first"
mkdir -p "$CACHE_DIR"

case "${1:-}" in
  up)
    take_services_lock
    protect_env_file
    start=$(date +%s.%N)
    # The database starts while Kafka's JVM warms up: both are mostly waiting.
    mariadb_up & db_pid=$!
    kafka_up
    wait "$db_pid" || die "mysql did not come up"
    log "up in $(node -e "process.stdout.write((($(date +%s.%N))-($start)).toFixed(1))") s"
    kafka_status && mariadb_status
    ;;
  status)
    rc=0
    kafka_status || rc=1
    mariadb_status || rc=1
    exit $rc
    ;;
  down)
    take_services_lock
    kafka_down
    mariadb_down
    ;;
  *)
    echo "usage: $0 up|status|down" >&2; exit 2 ;;
esac
