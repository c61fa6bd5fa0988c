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

# Processes this project starts are recorded in pid files. The system may give a dead
# process's pid to another program, so a pid from a file names our service only when that
# process is still the program we started: its name (/proc/PID/comm) is COMM and its command
# line contains MARKER (its data folder or configuration file).

# process_running PID: PID is a live process (not a zombie waiting to be reaped).
process_running() {
  local state
  kill -0 "$1" 2>/dev/null || return 1
  if [[ -r "/proc/$1/stat" ]]; then
    state=$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 0
    [[ "$state" != Z && "$state" != X ]]
  fi
}

# process_is PID COMM [MARKER]: PID runs the program COMM with MARKER on its command line.
process_is() {
  local pid=$1 comm=$2 marker=${3:-} actual args
  process_running "$pid" || return 1
  if [[ -r "/proc/$pid/comm" ]]; then actual=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
  else actual=$(ps -o comm= -p "$pid" 2>/dev/null) || return 1; fi
  [[ "$actual" == "${comm:0:15}" ]] || return 1
  [[ -z "$marker" ]] && return 0
  if [[ -r "/proc/$pid/cmdline" ]]; then args=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null) || return 1
  else args=$(ps -o args= -p "$pid" 2>/dev/null) || return 1; fi
  [[ "$args" == *"$marker"* ]]
}

# service_pid FILE COMM [MARKER]: prints the pid recorded in FILE when that process is ours
# (see process_is); fails for a missing, empty or stale pid file.
service_pid() {
  local file=$1 pid
  [[ -f "$file" ]] || return 1
  pid=$(tr -d '[:space:]' < "$file" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[1-9][0-9]*$ ]] || return 1
  process_is "$pid" "$2" "${3:-}" || return 1
  printf '%s\n' "$pid"
}

# stop_service NAME FILE COMM [MARKER]: stops the process recorded in FILE (SIGTERM, then
# SIGKILL after 30 s) when it is ours, and removes FILE. A stale pid file, whose pid now
# belongs to another program, is removed and nothing is killed.
stop_service() {
  local name=$1 file=$2 comm=$3 marker=${4:-} pid
  [[ -f "$file" ]] || return 0
  if ! pid=$(service_pid "$file" "$comm" "$marker"); then
    log "$name: $file names no running $comm of this project (pid $(tr -d '[:space:]' < "$file" 2>/dev/null)): stale pid file removed, nothing stopped"
    rm -f "$file"; return 0
  fi
  log "$name: stopping pid $pid"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do process_is "$pid" "$comm" "$marker" || break; sleep 0.5; done
  if process_is "$pid" "$comm" "$marker"; then
    log "$name: still running after 30 s, killing"
    kill -9 "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do process_is "$pid" "$comm" "$marker" || break; sleep 0.5; done
  fi
  rm -f "$file"
}

# Commands that start or stop services (up, down) hold this lock so that two of them never
# run at once: a second `up` waits, then finds the services up. It is held on file
# descriptor 8, which the servers started meanwhile must not inherit (they would hold the
# lock for as long as they run): start them with `8>&-`.
SERVICES_LOCK="$CACHE_DIR/services.lock"
take_services_lock() {
  mkdir -p "$CACHE_DIR"
  exec 8>>"$SERVICES_LOCK"
  flock -n 8 && return 0
  log "waiting for another services.sh up/down on $CACHE_DIR to finish (lock $SERVICES_LOCK)"
  flock -w "${VITALS_LOCK_TIMEOUT:-900}" 8 \
    || die "another services.sh up/down still holds $SERVICES_LOCK after ${VITALS_LOCK_TIMEOUT:-900} s"
}

# Read one KEY=VALUE from the services env file.
env_value() { if [[ -f "$SERVICES_ENV" ]]; then sed -n "s/^$1=//p" "$SERVICES_ENV" | tail -n 1; fi; }

# Set KEY=VALUE in the services env file (replacing an earlier value).
# Kafka and the database start concurrently, so writes are serialised with a lock.
# The file holds the database password: it and its temporary copy are created mode 600.
set_env_value() {
  mkdir -p "$CACHE_DIR"
  (
    umask 077
    flock 9
    touch "$SERVICES_ENV"; chmod 600 "$SERVICES_ENV"
    grep -v "^$1=" "$SERVICES_ENV" > "$SERVICES_ENV.tmp.$$" || true
    printf '%s=%s\n' "$1" "$2" >> "$SERVICES_ENV.tmp.$$"
    chmod 600 "$SERVICES_ENV.tmp.$$"
    mv "$SERVICES_ENV.tmp.$$" "$SERVICES_ENV"
  ) 9>"$SERVICES_ENV.lock"
}

# An env file written by an earlier version may be world-readable: make it 600.
protect_env_file() { if [[ -f "$SERVICES_ENV" ]]; then chmod 600 "$SERVICES_ENV"; fi; }

# probe kafka BROKERS [timeoutSeconds]
probe() { node "$PROJECT_ROOT/scripts/services/probe.mjs" "$@"; }
# probe_mysql URL [timeoutSeconds]: the URL holds the password, so it goes to probe.mjs in its
# environment (VITALS_PROBE_URL), never on a command line, which any user can read with ps.
probe_mysql() { VITALS_PROBE_URL="$1" node "$PROJECT_ROOT/scripts/services/probe.mjs" mysql "${2:-0}"; }

# url_password URL: the decoded password of a mysql:// URL (the URL goes through the environment).
url_password() { VITALS_PROBE_URL="$1" node -e "process.stdout.write(decodeURIComponent(new URL(process.env.VITALS_PROBE_URL).password))"; }

# url_address URL: host:port/database of a mysql:// URL, without its credentials.
url_address() { local a=${1#*://}; a=${a##*@}; printf '%s' "${a%%\?*}"; }
