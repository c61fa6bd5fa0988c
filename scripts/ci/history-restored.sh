#!/usr/bin/env bash
# CI, main: after restoring the benchmark history from the actions cache. Writes lines=<count of
# lines in FILE> to $GITHUB_OUTPUT (the check afterwards judges only a run this job appended),
# and when nothing was restored (RESTORED_KEY empty: the first run, or GitHub evicted the entry,
# which it does to entries unused for 7 days) says so loudly: a warning annotation and a
# "HISTORY STARTS OVER" block in the job summary, so a restart never goes unnoticed.
#   bash scripts/ci/history-restored.sh FILE RESTORED_KEY
set -euo pipefail
file=${1:?usage: history-restored.sh FILE RESTORED_KEY}
key=${2-}

lines=0
if [[ -f "$file" ]]; then lines=$(wc -l < "$file"); fi
echo "lines=$lines" >> "${GITHUB_OUTPUT:?GITHUB_OUTPUT must name the step output file}"
if [[ -n "$key" ]]; then
  echo "History restored from the cache entry $key: $lines run(s)."
  exit 0
fi
message="no saved benchmark history (the first run on main, or the cache entry was evicted after 7 days unused): $file starts over with this run, and the check has no previous run to compare with"
echo "::warning title=Benchmark history starts over::$message"
{
  echo '> [!WARNING]'
  echo "> **HISTORY STARTS OVER**: $message."
  echo
} >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
