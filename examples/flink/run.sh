#!/usr/bin/env bash
# The Flink example as an external mode (docs/EXTERNAL.md):
#   npm run bench -- --modes stream,batch,flink --external flink="bash examples/flink/run.sh"
# Runs examples/flink/vitals_job.py in the environment that scripts/flink.sh sets up, as the job
# process itself (examples/common/run-job.sh): a SIGTERM reaches Python directly, and its JVM
# child ignores it (Python cancels the job, then lets the JVM exit).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=SCRIPTDIR/../common/run-job.sh
source "$here/../common/run-job.sh"
run_job flink "$here/vitals_job.py" "$@"
