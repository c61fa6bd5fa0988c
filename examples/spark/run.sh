#!/usr/bin/env bash
# The Spark example as an external mode (docs/EXTERNAL.md):
#   npm run bench -- --modes stream,batch,spark --external spark="bash examples/spark/run.sh"
# Runs examples/spark/vitals_job.py in the environment that scripts/spark.sh sets up. exec: the
# job is this process, so a SIGTERM reaches Python directly.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${VITALS_CACHE_DIR:-$here/../../.cache}"
if [[ ! -x "$cache/spark/venv/bin/python" || ! -f "$cache/spark/setup.stamp" ]]; then
  echo "spark example: not set up ($cache/spark/venv missing or incomplete): run bash scripts/spark.sh" >&2
  exit 1
fi
exec "$cache/spark/venv/bin/python" -u "$here/vitals_job.py" "$@"
