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

# mysql client as the local server's administrator (unix-socket authentication).
mariadb_admin_sql() { mariadb --no-defaults --socket="$(mariadb_socket)" -uroot -e "$1"; }

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
  # a buffer pool that holds a run's tables, LOAD DATA LOCAL allowed.
  nohup "$(mariadbd_bin)" --no-defaults "${as_user[@]}" --datadir="$MARIADB_DIR/data" \
    --socket="$(mariadb_socket)" --pid-file="$MARIADB_DIR/run/mariadbd.pid" \
    --port="$MYSQL_PORT" --bind-address="$MYSQL_HOST" --skip-name-resolve \
    --log-error="$MARIADB_DIR/error.log" --innodb-buffer-pool-size=1G --innodb-log-file-size=256M \
    --max-connections=300 --local-infile=1 --character-set-server=utf8mb4 \
    >"$MARIADB_DIR/stdout.log" 2>&1 &
  echo $! > "$MARIADB_DIR/mariadbd.pid"
  for _ in $(seq 1 120); do
    [[ -S "$(mariadb_socket)" ]] && mariadb_admin_sql 'SELECT 1' >/dev/null 2>&1 && break
    pid_alive "$MARIADB_DIR/mariadbd.pid" || { tail -n 20 "$MARIADB_DIR/error.log" >&2; die "mariadbd exited at start (see $MARIADB_DIR/error.log)"; }
    sleep 0.5
  done
  mariadb_admin_sql 'SELECT 1' >/dev/null || die "mariadbd did not accept connections within 60 s (see $MARIADB_DIR/error.log)"

  local url password
  url=$(env_value MYSQL_URL)
  if [[ -z "$url" || "$(env_value MYSQL_ORIGIN)" != local ]]; then
    password=$(node -e "process.stdout.write(require('node:crypto').randomBytes(18).toString('base64url'))")
    url="mysql://$MYSQL_APP_USER:$password@$MYSQL_HOST:$MYSQL_PORT/$MYSQL_DATABASE"
  else
    password=$(node -e "process.stdout.write(decodeURIComponent(new URL(process.argv[1]).password))" "$url")
  fi
  mariadb_admin_sql "CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\` CHARACTER SET utf8mb4;
    CREATE USER IF NOT EXISTS '$MYSQL_APP_USER'@'%' IDENTIFIED BY '$password';
    ALTER USER '$MYSQL_APP_USER'@'%' IDENTIFIED BY '$password';
    GRANT ALL PRIVILEGES ON \`$MYSQL_DATABASE\`.* TO '$MYSQL_APP_USER'@'%';
    GRANT ALL PRIVILEGES ON \`${MYSQL_DATABASE}_test\`.* TO '$MYSQL_APP_USER'@'%';" \
    || die "could not create database $MYSQL_DATABASE and user $MYSQL_APP_USER"
  set_env_value MYSQL_URL "$url"; set_env_value MYSQL_ORIGIN local
}

mariadb_up() {
  if [[ -n "${MYSQL_URL:-}" ]]; then
    probe mysql "$MYSQL_URL" 10 >/dev/null || die "MYSQL_URL does not answer; start that server, or unset MYSQL_URL to run a local MariaDB"
    log "mysql: using the configured server"
    set_env_value MYSQL_URL "$MYSQL_URL"; set_env_value MYSQL_ORIGIN external
    return
  fi
  local url; url=$(env_value MYSQL_URL)
  mariadb_choose_dir
  if [[ -n "$url" && "$(env_value MYSQL_ORIGIN)" == local ]] && pid_alive "$MARIADB_DIR/mariadbd.pid" && probe mysql "$url" 2 >/dev/null; then
    log "mysql: already up at $MYSQL_HOST:$MYSQL_PORT"; return
  fi
  if docker_available; then
    local password; password=$(env_value MYSQL_PASSWORD)
    [[ -n "$password" ]] || password=$(node -e "process.stdout.write(require('node:crypto').randomBytes(18).toString('base64url'))")
    set_env_value MYSQL_PASSWORD "$password"
    log "mysql: starting with docker compose"
    MYSQL_PASSWORD="$password" docker compose -f "$PROJECT_ROOT/docker-compose.yml" up -d mysql >&2
    url="mysql://$MYSQL_APP_USER:$password@$MYSQL_HOST:$MYSQL_PORT/$MYSQL_DATABASE"
    probe mysql "$url" 180 >/dev/null || die "mysql in docker compose did not become ready"
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
  local address; address=$(node -e "const u=new URL(process.argv[1]);process.stdout.write(u.host+u.pathname)" "$url")
  local info
  if info=$(probe mysql "$url" 2 2>&1); then
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
  if pid_alive "$MARIADB_DIR/mariadbd.pid"; then
    local pid; pid=$(cat "$MARIADB_DIR/mariadbd.pid")
    log "mariadb: stopping pid $pid"
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && { log "mariadb: still running after 30 s, killing"; kill -9 "$pid"; }
  fi
  rm -f "$MARIADB_DIR/mariadbd.pid"
}
