#!/usr/bin/env bash
# The Spark example as an external mode (docs/EXTERNAL.md):
#   npm run bench -- --modes stream,batch,spark --external spark="bash examples/spark/run.sh"
# Runs examples/spark/vitals_job.py in the environment that scripts/spark.sh sets up, as the job
# process itself (examples/common/run-job.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=SCRIPTDIR/../common/run-job.sh
source "$here/../common/run-job.sh"
run_job spark "$here/vitals_job.py" "$@"
