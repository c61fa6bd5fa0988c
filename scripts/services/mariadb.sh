# MySQL-compatible database. Sourced by scripts/services.sh.
# Order: MYSQL_URL from the environment (must answer) > docker compose when a Docker engine
# answers > a private MariaDB from Debian's packages with its data under $MARIADB_DIR.

mariadb_socket() { echo "$MARIADB_DIR/run/mysqld.sock"; }

require_mariadb_binaries() {
  if command -v mariadbd >/dev/null 2>&1 || [[ -x /usr/sbin/mariadbd ]]; then return; fi
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    log "mariadb: installing Debian's mariadb-server (about a minute)"
    export DEBIAN_FRONTEND=noninteractive
    # The package would start a system-wide server on port 3306; this project runs its own.
    local policy=/usr/sbin/policy-rc.d created_policy=0
    if [[ ! -e "$policy" ]]; then
      printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created_policy=1
    fi
    if ! apt-get install -y -q mariadb-server >"$CACHE_DIR/apt-mariadb.log" 2>&1; then
      apt-get update -q >>"$CACHE_DIR/apt-mariadb.log" 2>&1 || true
      apt-get install -y -q mariadb-server >>"$CACHE_DIR/apt-mariadb.log" 2>&1 \
        || { [[ $created_policy -eq 1 ]] && rm -f "$policy"; tail -n 20 "$CACHE_DIR/apt-mariadb.log" >&2; die "apt-get install mariadb-server failed (see $CACHE_DIR/apt-mariadb.log)"; }
    fi
    [[ $created_policy -eq 1 ]] && rm -f "$policy"
    return 0
  fi
  die "no MySQL-compatible server: install MariaDB (Debian: apt-get install mariadb-server, as root), or set MYSQL_URL=mysql://user:password@host:3306/$MYSQL_DATABASE to use an existing server"
}

mariadbd_bin() { command -v mariadbd 2>/dev/null || echo /usr/sbin/mariadbd; }

# mysql client as the local server's administrator (unix-socket authentication). The SQL
# comes on stdin, never with -e: statements may hold the application password, and a command
# line is visible to every user (ps). Extra arguments are client options (e.g. -N -B).
mariadb_admin_sql() { mariadb --no-defaults --socket="$(mariadb_socket)" -uroot "$@"; }

# mariadb_pid: the pid of the server `up` started (mariadbd with our data folder).
mariadb_pid() { service_pid "$MARIADB_DIR/mariadbd.pid" "$(basename "$(mariadbd_bin)")" "--datadir=$MARIADB_DIR/data"; }

# sql_string TEXT: TEXT as a quoted SQL string literal.
sql_string() { local s=${1//\\/\\\\}; s=${s//\'/\'\'}; printf "'%s'" "$s"; }

# The application user connects from this machine only: over TCP from 127.0.0.1 (the server
# runs with --skip-name-resolve, so that is the account TCP clients match) and over the
# socket (localhost).
MYSQL_APP_HOSTS=(127.0.0.1 localhost)
# The privileges the project uses, on its own database only:
#   SELECT, INSERT, UPDATE, DELETE   the pipelines and the harness (INSERT ... ON DUPLICATE KEY UPDATE,
#                                    UPDATE runs, DELETE of re-evaluated alerts and of a run's rows)
#   CREATE, ALTER, INDEX             the schema migrations (src/pipelines/store/schema.ts): CREATE TABLE
#                                    IF NOT EXISTS, ALTER TABLE ... ADD COLUMN; INDEX (CREATE INDEX)
#                                    allows nothing ALTER does not, it keeps a migration's choice free
#   CREATE VIEW, DROP                CREATE OR REPLACE VIEW processed_health_data (OR REPLACE needs DROP)
#   CREATE TEMPORARY TABLES          test/integration/foundation.test.ts
# Not granted: FILE, PROCESS, SUPER, GRANT OPTION, routines, triggers, events, LOCK TABLES,
# and anything on other databases. A new kind of statement in a migration may need one more
# privilege here (and in test/integration/services.test.ts).
MYSQL_APP_PRIVILEGES="SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP, CREATE VIEW, CREATE TEMPORARY TABLES"

# mariadb_setup_app_user PASSWORD: the database, and the application user with exactly
# MYSQL_APP_PRIVILEGES on it from MYSQL_APP_HOSTS. Converges an existing install: an
# earlier version created '$MYSQL_APP_USER'@'%' with ALL PRIVILEGES on the database and on
# ${MYSQL_DATABASE}_test; that account is dropped, and views it defined get the new account as
# definer (a view whose definer does not exist cannot be read).
mariadb_setup_app_user() {
  local user; user=$(sql_string "$MYSQL_APP_USER")
  local password; password=$(sql_string "$1")
  # In GRANT a database name is a pattern: '_' and '%' are wildcards unless escaped.
  local db_pattern=${MYSQL_DATABASE//_/\\_}; db_pattern=${db_pattern//%/\\%}
  local hosts_list="" host sql
  sql="CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\` CHARACTER SET utf8mb4;"
  for host in "${MYSQL_APP_HOSTS[@]}"; do
    host=$(sql_string "$host")
    hosts_list+="${hosts_list:+, }$host"
    sql+="
    CREATE USER IF NOT EXISTS $user@$host IDENTIFIED BY $password;
    ALTER USER $user@$host IDENTIFIED BY $password;
    REVOKE ALL PRIVILEGES, GRANT OPTION FROM $user@$host;
    GRANT $MYSQL_APP_PRIVILEGES ON \`$db_pattern\`.* TO $user@$host;"
  done
  # Stdin, not -e: the statements hold the password.
  mariadb_admin_sql <<<"$sql" || die "could not create database $MYSQL_DATABASE and user $MYSQL_APP_USER"

  # Statements that move views off other accounts of the user, then drop those accounts.
  local definer; definer="$user@$(sql_string "${MYSQL_APP_HOSTS[0]}")"
  local fixups
  fixups=$(mariadb_admin_sql -N -B --raw <<SQL
SELECT CONCAT('CREATE OR REPLACE ALGORITHM=', ALGORITHM, ' DEFINER=', $(sql_string "$definer"),
              ' SQL SECURITY ', SECURITY_TYPE, ' VIEW \`', REPLACE(TABLE_SCHEMA, '\`', '\`\`'), '\`.\`',
              REPLACE(TABLE_NAME, '\`', '\`\`'), '\` AS ', VIEW_DEFINITION,
              IF(CHECK_OPTION = 'NONE', '', CONCAT(' WITH ', CHECK_OPTION, ' CHECK OPTION')), ';')
  FROM information_schema.VIEWS
 WHERE SUBSTRING_INDEX(DEFINER, '@', 1) = $user AND SUBSTRING_INDEX(DEFINER, '@', -1) NOT IN ($hosts_list);
SELECT CONCAT('DROP USER ', QUOTE(User), '@', QUOTE(Host), ';')
  FROM mysql.user WHERE User = $user AND Host NOT IN ($hosts_list);
SQL
  ) || die "could not list the accounts and views of $MYSQL_APP_USER to migrate"
  if [[ -n "$fixups" ]]; then
    local views users
    views=$(grep -c '^CREATE OR REPLACE ' <<<"$fixups" || true)
    users=$(grep '^DROP USER ' <<<"$fixups" | sed 's/^DROP USER //; s/;$//' | paste -sd ' ' || true)
    log "mariadb: migrating the application user: ${views} view(s) to definer ${MYSQL_APP_USER}@${MYSQL_APP_HOSTS[0]}${users:+, dropping $users}"
    mariadb_admin_sql <<<"$fixups" || die "could not migrate the views and old accounts of $MYSQL_APP_USER"
  fi
}

# As root the server runs as the mysql user, which must reach its data folder. A project
# checked out under a private folder (e.g. /root) is not reachable: use /var/lib then.
mariadb_choose_dir() {
  [[ $(id -u) -eq 0 ]] || return 0
  id mysql >/dev/null 2>&1 || return 0   # not installed yet: chosen again after the install
  [[ "$MARIADB_DIR" == /var/lib/vitals-bench/* ]] && return 0
  mkdir -p "$MARIADB_DIR"
  chown mysql:mysql "$MARIADB_DIR"
  if ! runuser -u mysql -- test -w "$MARIADB_DIR" 2>/dev/null; then
    local fallback="/var/lib/vitals-bench/mariadb-$(printf '%s' "$PROJECT_ROOT" | cksum | cut -d' ' -f1)"
    log "mariadb: the mysql user cannot reach $MARIADB_DIR; using $fallback"
    MARIADB_DIR="$fallback"
  fi
}

mariadb_local_up() {
  require_mariadb_binaries
  mariadb_choose_dir
  local as_user=()
  [[ $(id -u) -eq 0 ]] && as_user=(--user=mysql)
  mkdir -p "$MARIADB_DIR/run" "$MARIADB_DIR/data"
  [[ $(id -u) -eq 0 ]] && chown -R mysql:mysql "$MARIADB_DIR"
  if [[ ! -d "$MARIADB_DIR/data/mysql" ]]; then
    log "mariadb: initialising data folder $MARIADB_DIR/data"
    mariadb-install-db --no-defaults "${as_user[@]}" --datadir="$MARIADB_DIR/data" \
      --auth-root-authentication-method=socket --skip-test-db >"$MARIADB_DIR/install-db.log" 2>&1 \
      || { tail -n 20 "$MARIADB_DIR/install-db.log" >&2; die "mariadb-install-db failed (see $MARIADB_DIR/install-db.log)"; }
  fi
  log "mariadb: starting on $MYSQL_HOST:$MYSQL_PORT (log: $MARIADB_DIR/error.log)"
  # Settings a benchmark should state: durable commits (flush at every commit, the default),
  # a buffer pool that holds a run's tables. LOAD DATA LOCAL is off: the project writes with
  # multi-row INSERTs, and local_infile would let the server ask a client for its files.
  nohup "$(mariadbd_bin)" --no-defaults "${as_user[@]}" --datadir="$MARIADB_DIR/data" \
    --socket="$(mariadb_socket)" --pid-file="$MARIADB_DIR/run/mariadbd.pid" \
    --port="$MYSQL_PORT" --bind-address="$MYSQL_HOST" --skip-name-resolve \
    --log-error="$MARIADB_DIR/error.log" --innodb-buffer-pool-size=1G --innodb-log-file-size=256M \
    --max-connections=300 --local-infile=0 --character-set-server=utf8mb4 \
    >"$MARIADB_DIR/stdout.log" 2>&1 8>&- &
  local pid=$!
  echo "$pid" > "$MARIADB_DIR/mariadbd.pid"
  for _ in $(seq 1 120); do
    [[ -S "$(mariadb_socket)" ]] && mariadb_admin_sql <<<'SELECT 1' >/dev/null 2>&1 && break
    process_running "$pid" || { tail -n 20 "$MARIADB_DIR/error.log" >&2; die "mariadbd exited at start (see $MARIADB_DIR/error.log)"; }
    sleep 0.5
  done
  mariadb_admin_sql <<<'SELECT 1' >/dev/null || die "mariadbd did not accept connections within 60 s (see $MARIADB_DIR/error.log)"

  local url password
  url=$(env_value MYSQL_URL)
  if [[ -z "$url" || "$(env_value MYSQL_ORIGIN)" != local ]]; then
    password=$(node -e "process.stdout.write(require('node:crypto').randomBytes(18).toString('base64url'))")
  else
    password=$(url_password "$url")
  fi
  # Built afresh from this start's host and port: a stored URL keeps only its password.
  url="mysql://$MYSQL_APP_USER:$password@$MYSQL_HOST:$MYSQL_PORT/$MYSQL_DATABASE"
  mariadb_setup_app_user "$password"
  set_env_value MYSQL_URL "$url"; set_env_value MYSQL_ORIGIN local
}

mariadb_up() {
  if [[ -n "${MYSQL_URL:-}" ]]; then
    probe_mysql "$MYSQL_URL" 10 >/dev/null || die "MYSQL_URL does not answer; start that server, or unset MYSQL_URL to run a local MariaDB"
    log "mysql: using the configured server"
    set_env_value MYSQL_URL "$MYSQL_URL"; set_env_value MYSQL_ORIGIN external
    return
  fi
  local url; url=$(env_value MYSQL_URL)
  mariadb_choose_dir
  if [[ -n "$url" && "$(env_value MYSQL_ORIGIN)" == local ]] && mariadb_pid >/dev/null && probe_mysql "$url" 2 >/dev/null; then
    log "mysql: already up at $MYSQL_HOST:$MYSQL_PORT"; return
  fi
  if docker_available; then
    local password; password=$(env_value MYSQL_PASSWORD)
    [[ -n "$password" ]] || password=$(node -e "process.stdout.write(require('node:crypto').randomBytes(18).toString('base64url'))")
    set_env_value MYSQL_PASSWORD "$password"
    log "mysql: starting with docker compose"
    MYSQL_PASSWORD="$password" docker compose -f "$PROJECT_ROOT/docker-compose.yml" up -d mysql >&2
    url="mysql://$MYSQL_APP_USER:$password@$MYSQL_HOST:$MYSQL_PORT/$MYSQL_DATABASE"
    probe_mysql "$url" 180 >/dev/null || die "mysql in docker compose did not become ready"
    set_env_value MYSQL_URL "$url"; set_env_value MYSQL_ORIGIN docker
    return
  fi
  if port_in_use "$MYSQL_PORT"; then
    die "port $MYSQL_PORT is taken by a server this project did not start; set MYSQL_URL=mysql://user:password@127.0.0.1:$MYSQL_PORT/$MYSQL_DATABASE to use it, or MYSQL_PORT to run ours elsewhere"
  fi
  mariadb_local_up
}

mariadb_status() {
  local url; url="${MYSQL_URL:-$(env_value MYSQL_URL)}"
  [[ -n "$url" ]] || { printf 'mysql    down  not configured (run services up)\n'; return 1; }
  local address; address=$(url_address "$url")
  local info
  if info=$(probe_mysql "$url" 2 2>&1); then
    printf 'mysql    up    %-22s version %s (%s)\n' "$address" "$info" "$(env_value MYSQL_ORIGIN)"
  else
    printf 'mysql    down  %-22s %s\n' "$address" "$info"; return 1
  fi
}

mariadb_down() {
  mariadb_choose_dir
  case "$(env_value MYSQL_ORIGIN)" in
    docker)
      if docker_available; then docker compose -f "$PROJECT_ROOT/docker-compose.yml" stop mysql >&2; fi
      return 0 ;;
    external) return ;;
  esac
  stop_service mariadb "$MARIADB_DIR/mariadbd.pid" "$(basename "$(mariadbd_bin)")" "--datadir=$MARIADB_DIR/data"
}
