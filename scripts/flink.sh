#!/usr/bin/env bash
# Sets up the Flink example (examples/flink): a Python virtual environment with the pinned
# apache-flink (PyFlink, which brings Flink's own jars), and the Kafka and JDBC connectors' jars
# with the MySQL driver copied from Maven Central, so that a benchmark run downloads nothing.
# Idempotent: a stamp records what was installed, and a second run with the same pins does
# nothing.
#   bash scripts/flink.sh
# Needs: python3.9, 3.10 or 3.11 with venv (apache-flink 1.20 supports Python up to 3.11;
# Debian: apt-get install python3-venv), Java 11 or 17 (openjdk-17-jre-headless), Maven, and
# PyPI and Maven Central reachable.
# Configuration (environment): VITALS_CACHE_DIR (default <project>/.cache), VITALS_FLINK_PYTHON
# (the Python to build the venv with; default: the first of python3.11, python3.10, python3.9,
# python3 that is 3.9-3.11).
set -euo pipefail

PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${VITALS_CACHE_DIR:-$PROJECT_ROOT/.cache}"
FLINK_DIR="$CACHE_DIR/flink"
VENV="$FLINK_DIR/venv"
JARS="$FLINK_DIR/jars"
EXAMPLE="$PROJECT_ROOT/examples/flink"
REQUIREMENTS="$EXAMPLE/requirements.txt"
POM="$EXAMPLE/pom.xml"
STAMP="$FLINK_DIR/setup.stamp"
LOG="$FLINK_DIR/setup.log"
# The jars the job loads (examples/flink/vitals_job.py reads every jar in $JARS).
REQUIRED_JARS=(flink-connector-kafka flink-connector-jdbc-core flink-connector-jdbc-mysql mysql-connector-j kafka-clients)

die() { printf '[flink] error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=SCRIPTDIR/lib/example-setup.sh
source "$PROJECT_ROOT/scripts/lib/example-setup.sh"

python_ok() { "$1" -c 'import sys; sys.exit(0 if (3, 9) <= sys.version_info[:2] <= (3, 11) else 1)' 2>/dev/null; }

# The Python to build the venv with: apache-flink 1.20 has no wheels beyond 3.11, and the pinned
# requirements (resolved on 3.11) need 3.9 or newer.
find_python() {
  if [[ -n "${VITALS_FLINK_PYTHON:-}" ]]; then
    python_ok "$VITALS_FLINK_PYTHON" \
      || die "VITALS_FLINK_PYTHON=$VITALS_FLINK_PYTHON is not a Python 3.9-3.11 ($("$VITALS_FLINK_PYTHON" --version 2>&1 || true))"
    printf '%s\n' "$VITALS_FLINK_PYTHON"
    return
  fi
  local candidate
  for candidate in python3.11 python3.10 python3.9 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
      printf '%s\n' "$candidate"
      return
    fi
  done
  die "no Python 3.9-3.11 found (apache-flink 1.20 supports Python up to 3.11; found $(python3 --version 2>&1 || echo 'no python3')); install python3.11 or set VITALS_FLINK_PYTHON"
}

check_venv_module() {
  "$1" -c 'import venv, ensurepip' 2>/dev/null \
    || die "$1 has no venv/ensurepip (Debian: apt-get install python3-venv)"
}

check_maven() {
  command -v mvn >/dev/null 2>&1 || die "Maven not found: it fetches the connector jars from Maven Central (Debian: apt-get install maven)"
}

# What the setup depends on: the pins, the connectors and the Python and Java versions.
setup_hash() {
  { cat "$REQUIREMENTS" "$POM"; "$1" --version 2>&1; java_major; printf '%s\n' "$VENV"; } | sha256sum | cut -d' ' -f1
}

install_venv() {
  local python=$1
  rm -rf "$VENV"
  logged "$python -m venv $VENV failed" "$python" -m venv "$VENV"
  install_requirements "$VENV" "$REQUIREMENTS"
  logged "pyflink does not import in $VENV" "$VENV/bin/python" -c 'import pyflink.table'
}

fetch_jars() {
  rm -rf "$JARS"
  logged "could not fetch the connector jars from Maven Central" \
    mvn -B -q -f "$POM" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$JARS"
  local jar
  for jar in "${REQUIRED_JARS[@]}"; do
    compgen -G "$JARS/$jar-[0-9]*.jar" >/dev/null || die "no $jar jar in $JARS after resolution (log: $LOG)"
  done
}

main() {
  local python hash start
  python=$(find_python)
  check_venv_module "$python"
  check_java "Flink 1.20 with these connectors runs on Java 11 or 17" 11 17
  mkdir -p "$FLINK_DIR"
  # One setup at a time: a second caller waits, then finds the work done.
  exec 9>"$FLINK_DIR/setup.lock"
  flock 9
  hash=$(setup_hash "$python")
  if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$hash" && -x "$VENV/bin/python" ]]; then
    echo "[flink] up to date: $VENV, jars in $JARS"
    return 0
  fi
  check_maven
  start=$SECONDS
  rm -f "$STAMP"
  printf '\n== %s setup with %s\n' "$(date -u +%FT%TZ)" "$("$python" --version 2>&1)" >>"$LOG"
  install_venv "$python"
  fetch_jars
  printf '%s\n' "$hash" >"$STAMP"
  echo "[flink] set up in $((SECONDS - start)) s: $VENV ($("$VENV/bin/python" -c 'from importlib.metadata import version as v; print("apache-flink", v("apache-flink"))')), $(find "$JARS" -name '*.jar' | wc -l) jars in $JARS; log: $LOG"
}

main "$@"
