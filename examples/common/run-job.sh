# shellcheck shell=bash
# Sourced by examples/<name>/run.sh: run_job NAME SCRIPT ARGS... runs SCRIPT in the Python
# environment that scripts/NAME.sh sets up under the cache (VITALS_CACHE_DIR, default
# <project>/.cache), or says how to set it up. exec: the job is the run.sh process, so a SIGTERM
# reaches Python directly.
run_job() {
  local name=$1 script=$2 cache
  shift 2
  cache="${VITALS_CACHE_DIR:-$(dirname "${BASH_SOURCE[0]}")/../../.cache}"
  if [[ ! -x "$cache/$name/venv/bin/python" || ! -f "$cache/$name/setup.stamp" ]]; then
    echo "$name example: not set up ($cache/$name/venv missing or incomplete): run bash scripts/$name.sh" >&2
    exit 1
  fi
  exec "$cache/$name/venv/bin/python" -u "$script" "$@"
}
