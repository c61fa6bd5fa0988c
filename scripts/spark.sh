#!/usr/bin/env bash
# Sets up the Spark example (examples/spark): a Python virtual environment with the pinned
# pyspark and PyMySQL, and the Kafka connector's jars resolved into an Ivy cache, so that a
# benchmark run downloads nothing. Idempotent: a stamp records what was installed, and a
# second run with the same requirements does nothing.
#   bash scripts/spark.sh
# Needs: python3 >= 3.8 with venv (Debian: python3-venv), Java 17 (openjdk-17-jre-headless;
# Spark 3.5 also runs on 8 and 11), and PyPI and Maven Central reachable.
# Configuration (environment): VITALS_CACHE_DIR (default <project>/.cache), VITALS_SPARK_IVY
# (default <cache>/spark/ivy).
set -euo pipefail

PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${VITALS_CACHE_DIR:-$PROJECT_ROOT/.cache}"
SPARK_DIR="$CACHE_DIR/spark"
VENV="$SPARK_DIR/venv"
IVY_DIR="${VITALS_SPARK_IVY:-$SPARK_DIR/ivy}"
EXAMPLE="$PROJECT_ROOT/examples/spark"
REQUIREMENTS="$EXAMPLE/requirements.txt"
JOB="$EXAMPLE/vitals_job.py"
STAMP="$SPARK_DIR/setup.stamp"
LOG="$SPARK_DIR/setup.log"

die() { printf '[spark] error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=SCRIPTDIR/lib/example-setup.sh
source "$PROJECT_ROOT/scripts/lib/example-setup.sh"

check_python() {
  command -v python3 >/dev/null 2>&1 || die "python3 not found (Debian: apt-get install python3 python3-venv)"
  python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 8) else 1)' \
    || die "python3 >= 3.8 needed, found $(python3 --version 2>&1)"
  python3 -c 'import venv, ensurepip' 2>/dev/null \
    || die "python3 has no venv/ensurepip (Debian: apt-get install python3-venv)"
}

# What the setup depends on: the pinned requirements, the connector and the Python version.
setup_hash() {
  { cat "$REQUIREMENTS"; grep '^KAFKA_PACKAGE' "$JOB"; python3 --version; printf '%s\n' "$IVY_DIR"; } \
    | sha256sum | cut -d' ' -f1
}

install_venv() {
  [[ -x "$VENV/bin/python" ]] || logged "python3 -m venv $VENV failed" python3 -m venv "$VENV"
  install_requirements "$VENV" "$REQUIREMENTS"
}

# Starts and stops a SparkSession with the job's spark.jars.packages: Ivy fills $IVY_DIR.
prefetch_jars() {
  logged "resolving the Kafka connector's jars failed" \
    env VITALS_SPARK_IVY="$IVY_DIR" "$VENV/bin/python" "$JOB" --prefetch-jars
  compgen -G "$IVY_DIR/jars/*spark-sql-kafka-0-10*.jar" >/dev/null \
    || die "no spark-sql-kafka jar in $IVY_DIR/jars after resolution (log: $LOG)"
}

main() {
  check_python
  check_java "Spark 3.5 runs on Java 8, 11 or 17" 8 11 17
  mkdir -p "$SPARK_DIR"
  # One setup at a time: a second caller waits, then finds the work done.
  exec 9>"$SPARK_DIR/setup.lock"
  flock 9
  local hash start
  hash=$(setup_hash)
  if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$hash" && -x "$VENV/bin/python" ]]; then
    echo "[spark] up to date: $VENV, jars in $IVY_DIR"
    return 0
  fi
  start=$SECONDS
  rm -f "$STAMP"
  printf '\n== %s setup\n' "$(date -u +%FT%TZ)" >>"$LOG"
  install_venv
  prefetch_jars
  printf '%s\n' "$hash" >"$STAMP"
  echo "[spark] set up in $((SECONDS - start)) s: $VENV ($("$VENV/bin/python" -c 'from importlib.metadata import version as v; print("pyspark", v("pyspark") + ", PyMySQL", v("PyMySQL"))')), $(ls "$IVY_DIR/jars" | wc -l) jars in $IVY_DIR; log: $LOG"
}

main "$@"
