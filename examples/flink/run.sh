#!/usr/bin/env bash
# The Flink example as an external mode (docs/EXTERNAL.md):
#   npm run bench -- --modes stream,batch,flink --external flink="bash examples/flink/run.sh"
# Runs examples/flink/vitals_job.py in the environment that scripts/flink.sh sets up. exec: the
# job is this process, so a SIGTERM reaches Python directly (and its JVM child ignores it:
# Python cancels the job, then lets the JVM exit).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${VITALS_CACHE_DIR:-$here/../../.cache}"
if [[ ! -x "$cache/flink/venv/bin/python" || ! -f "$cache/flink/setup.stamp" ]]; then
  echo "flink example: not set up ($cache/flink/venv missing or incomplete): run bash scripts/flink.sh" >&2
  exit 1
fi
exec "$cache/flink/venv/bin/python" -u "$here/vitals_job.py" "$@"
