# Shared settings for scripts/services/*.sh. Sourced, not run.
set -euo pipefail
PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE_DIR="${VITALS_CACHE_DIR:-$PROJECT_ROOT/.cache}"
# Written by `services up`: where the services are and the generated application password.
# Read by src/config.ts when the environment does not say otherwise. Never committed.
SERVICES_ENV="$CACHE_DIR/services.env"

KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
KAFKA_HOST=127.0.0.1
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_DIR="$CACHE_DIR/kafka"

MYSQL_HOST=127.0.0.1
MYSQL_PORT="${MYSQL_PORT:-3306}"
MYSQL_DATABASE="${MYSQL_DATABASE:-healthcare}"
MYSQL_APP_USER="${MYSQL_APP_USER:-vitals}"
MARIADB_DIR="$CACHE_DIR/mariadb"

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pid_alive FILE: the process recorded in FILE is running.
pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Read one KEY=VALUE from the services env file.
env_value() { if [[ -f "$SERVICES_ENV" ]]; then sed -n "s/^$1=//p" "$SERVICES_ENV" | tail -n 1; fi; }

# Set KEY=VALUE in the services env file (replacing an earlier value).
# Kafka and the database start concurrently, so writes are serialised with a lock.
set_env_value() {
  mkdir -p "$CACHE_DIR"
  (
    flock 9
    touch "$SERVICES_ENV"; chmod 600 "$SERVICES_ENV"
    grep -v "^$1=" "$SERVICES_ENV" > "$SERVICES_ENV.tmp.$$" || true
    printf '%s=%s\n' "$1" "$2" >> "$SERVICES_ENV.tmp.$$"
    mv "$SERVICES_ENV.tmp.$$" "$SERVICES_ENV"
  ) 9>"$SERVICES_ENV.lock"
}

probe() { node "$PROJECT_ROOT/scripts/services/probe.mjs" "$@"; }
