# Kafka: one broker in KRaft mode (broker + controller in one JVM) on 127.0.0.1:9092.
# Sourced by scripts/services.sh. Jars come from $KAFKA_HOME/libs when set, otherwise from
# Maven Central into $KAFKA_DIR/libs-$KAFKA_VERSION (scripts/kafka/pom.xml).

kafka_libs() {
  if [[ -n "${KAFKA_HOME:-}" ]]; then echo "$KAFKA_HOME/libs"; else echo "$KAFKA_DIR/libs-$KAFKA_VERSION"; fi
}

require_java() {
  command -v java >/dev/null 2>&1 || die "no Java found: Kafka needs Java 17 or newer (Debian: apt-get install openjdk-17-jre-headless)"
  local major
  major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
  [[ -n "$major" && "$major" -ge 17 ]] || die "Java $major found, Kafka $KAFKA_VERSION needs Java 17 or newer (Debian: apt-get install openjdk-17-jre-headless)"
}

kafka_fetch_jars() {
  local libs; libs=$(kafka_libs)
  if [[ -n "${KAFKA_HOME:-}" ]]; then
    [[ -d "$libs" ]] || die "KAFKA_HOME=$KAFKA_HOME has no libs/ folder"
    return
  fi
  [[ -f "$libs/.complete" ]] && return
  command -v mvn >/dev/null 2>&1 || die "Maven not found: it fetches the Kafka jars from Maven Central (Debian: apt-get install maven), or set KAFKA_HOME to an unpacked Kafka"
  log "fetching Kafka $KAFKA_VERSION jars from Maven Central into $libs"
  rm -rf "$libs"
  if ! mvn -B -q -f "$PROJECT_ROOT/scripts/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs" >"$KAFKA_DIR/maven.log" 2>&1; then
    tail -n 20 "$KAFKA_DIR/maven.log" >&2
    die "could not fetch Kafka $KAFKA_VERSION from Maven Central (see $KAFKA_DIR/maven.log); check that Maven Central is reachable, or set KAFKA_HOME"
  fi
  touch "$libs/.complete"
}

kafka_write_config() {
  mkdir -p "$KAFKA_DIR/data" "$KAFKA_DIR/logs"
  cat > "$KAFKA_DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
delete.topic.enable=true
log.retention.hours=24
PROPS
  cat > "$KAFKA_DIR/log4j2.properties" <<PROPS
appender.file.type=File
appender.file.name=file
appender.file.fileName=$KAFKA_DIR/logs/server.log
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=INFO
rootLogger.appenderRef.file.ref=file
logger.kafka.name=kafka
logger.kafka.level=INFO
logger.apache.name=org.apache.kafka
logger.apache.level=INFO
PROPS
}

# kafka_pid: the pid of the broker `up` started (a java process running our server.properties).
kafka_pid() { service_pid "$KAFKA_DIR/kafka.pid" java "$KAFKA_DIR/server.properties"; }

kafka_java() { java -cp "$(kafka_libs)/*" -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" "$@"; }

kafka_format_once() {
  [[ -f "$KAFKA_DIR/data/meta.properties" ]] && return
  local cluster_id
  cluster_id=$(kafka_java kafka.tools.StorageTool random-uuid 2>>"$KAFKA_DIR/logs/format.log" | tail -n 1)
  [[ -n "$cluster_id" ]] || die "kafka StorageTool random-uuid failed (see $KAFKA_DIR/logs/format.log)"
  log "formatting Kafka storage (cluster id $cluster_id)"
  kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_DIR/server.properties" >>"$KAFKA_DIR/logs/format.log" 2>&1 \
    || die "kafka storage format failed (see $KAFKA_DIR/logs/format.log)"
}

kafka_up() {
  local brokers="${KAFKA_BROKERS:-}"
  if [[ -n "$brokers" ]]; then
    probe kafka "$brokers" 10 >/dev/null || die "KAFKA_BROKERS=$brokers does not answer; start it or unset KAFKA_BROKERS to run a local broker"
    log "kafka: using configured broker(s) $brokers"
    set_env_value KAFKA_BROKERS "$brokers"; set_env_value KAFKA_ORIGIN external
    return
  fi
  brokers="$KAFKA_HOST:$KAFKA_PORT"
  if kafka_pid >/dev/null && probe kafka "$brokers" 2 >/dev/null; then
    log "kafka: already up at $brokers"; return
  fi
  if docker_available; then
    log "kafka: starting with docker compose"
    docker compose -f "$PROJECT_ROOT/docker-compose.yml" up -d kafka >&2
    probe kafka "$brokers" 120 >/dev/null || die "kafka in docker compose did not become ready"
    set_env_value KAFKA_BROKERS "$brokers"; set_env_value KAFKA_ORIGIN docker; set_env_value KAFKA_VERSION "$KAFKA_VERSION"
    return
  fi
  if port_in_use "$KAFKA_PORT" || port_in_use "$KAFKA_CONTROLLER_PORT"; then
    if probe kafka "$brokers" 2 >/dev/null; then
      die "a Kafka broker not started by this project already answers on $brokers; set KAFKA_BROKERS=$brokers to use it"
    fi
    die "port $KAFKA_PORT or $KAFKA_CONTROLLER_PORT is taken by another program; stop it, or set KAFKA_PORT/KAFKA_CONTROLLER_PORT"
  fi
  require_java
  mkdir -p "$KAFKA_DIR"
  kafka_fetch_jars
  kafka_write_config
  kafka_format_once
  log "kafka: starting broker $KAFKA_VERSION on $brokers (log: $KAFKA_DIR/logs/server.log)"
  nohup java -Xms512m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" -cp "$(kafka_libs)/*" \
    kafka.Kafka "$KAFKA_DIR/server.properties" >"$KAFKA_DIR/logs/stdout.log" 2>&1 8>&- &
  echo $! > "$KAFKA_DIR/kafka.pid"
  if ! probe kafka "$brokers" 90 >/dev/null; then
    tail -n 30 "$KAFKA_DIR/logs/server.log" "$KAFKA_DIR/logs/stdout.log" >&2 || true
    die "kafka did not become ready within 90 s (see $KAFKA_DIR/logs/)"
  fi
  set_env_value KAFKA_BROKERS "$brokers"; set_env_value KAFKA_ORIGIN local; set_env_value KAFKA_VERSION "$KAFKA_VERSION"
}

kafka_status() {
  local brokers; brokers=$(env_value KAFKA_BROKERS); brokers="${KAFKA_BROKERS:-${brokers:-$KAFKA_HOST:$KAFKA_PORT}}"
  local version; version=$(env_value KAFKA_VERSION)
  local info
  if info=$(probe kafka "$brokers" 2 2>&1); then
    printf 'kafka    up    %-22s version %-10s %s (%s)\n' "$brokers" "${version:-unknown}" "$info" "$(env_value KAFKA_ORIGIN)"
  else
    printf 'kafka    down  %-22s %s\n' "$brokers" "$info"; return 1
  fi
}

kafka_down() {
  if [[ "$(env_value KAFKA_ORIGIN)" == docker ]] && docker_available; then
    docker compose -f "$PROJECT_ROOT/docker-compose.yml" stop kafka >&2; return
  fi
  stop_service kafka "$KAFKA_DIR/kafka.pid" java "$KAFKA_DIR/server.properties"
}
