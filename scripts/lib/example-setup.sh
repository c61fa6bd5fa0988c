# shellcheck shell=bash
# Sourced by the example set-up scripts (scripts/spark.sh, scripts/flink.sh): what both do the
# same way. The sourcing script defines die() (its own message prefix) and LOG (its set-up log).

# The major version of the java that the example's launcher will run (JAVA_HOME first, as it does).
java_major() {
  local java="java" line
  [[ -n "${JAVA_HOME:-}" ]] && java="$JAVA_HOME/bin/java"
  line=$("$java" -version 2>&1 | head -n 1) || return 1
  line=${line#*\"}; line=${line%%\"*}           # 17.0.15, or 1.8.0_412
  [[ "$line" == 1.* ]] && line=${line#1.}
  printf '%s\n' "${line%%[._-]*}"
}

# check_java "Spark 3.5 runs on Java 8, 11 or 17" 8 11 17: dies unless java is one of the majors.
check_java() {
  local runs_on=$1 major wanted
  shift
  major=$(java_major) || die "java not found (Debian: apt-get install openjdk-17-jre-headless)"
  for wanted in "$@"; do
    [[ "$major" == "$wanted" ]] && return 0
  done
  die "Java $major found; $runs_on (Debian: apt-get install openjdk-17-jre-headless)"
}

# logged "what failed" command...: runs the command with its output appended to $LOG; when it
# fails, shows the log's last lines and dies.
logged() {
  local what=$1
  shift
  "$@" >>"$LOG" 2>&1 || {
    tail -n 20 "$LOG" >&2
    die "$what (log: $LOG)"
  }
}

# install_requirements VENV REQUIREMENTS: the pinned packages into the venv.
install_requirements() {
  logged "pip install -r $2 failed" \
    "$1/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$2"
}
