#!/usr/bin/env bash
# CI: the verdict of a performance-tracking command (vitals-bench ab, history --check) from its
# exit code, by the contract they all keep: 0 pass, 1 regression, 2 usage or harness error,
# 3 inconclusive. It writes the verdict at the top of the step's job summary (INCONCLUSIVE in a
# warning block), then DETAILS (the command's Markdown) when it exists, emits an annotation, and
# exits 1 for a regression, an error or a missing code (the job fails), 0 otherwise (a pass, or
# inconclusive: the job succeeds with the warning).
#   bash scripts/ci/track-verdict.sh NAME EXIT_CODE [DETAILS.md]
# EXIT_CODE empty: the command did not finish (its step timed out or failed before recording it).
set -euo pipefail
name=${1:?usage: track-verdict.sh NAME EXIT_CODE [DETAILS.md]}
code=${2-}
details=${3-}

# Workflow-command escaping: % CR LF in messages; also : and , in property values (the title).
esc_data() { local s=${1//%/%25}; s=${s//$'\r'/%0D}; printf '%s' "${s//$'\n'/%0A}"; }
esc_prop() { local s; s=$(esc_data "$1"); s=${s//:/%3A}; printf '%s' "${s//,/%2C}"; }

case "$code" in
  0) level=notice word=PASS status=0
     text="no regression." ;;
  1) level=error word=REGRESSION status=1
     text="a figure regressed, or a run broke an invariant (loss, duplicates, alert agreement): see the table below." ;;
  2) level=error word=ERROR status=1
     text="exit code 2, a usage or harness error: this is no verdict on the change; the step's log says what went wrong." ;;
  3) level=warning word=INCONCLUSIVE status=0
     text="nothing could be judged (too few comparable runs, or runs that did not complete): neither a pass nor a regression; the job stays green." ;;
  '') level=error word="DID NOT FINISH" status=1
     text="no exit code was recorded: the command timed out, was cancelled, or a step before it failed." ;;
  *) level=error word="UNEXPECTED EXIT CODE $code" status=1
     text="exit code $code is none of 0 pass, 1 regression, 2 usage or harness error, 3 inconclusive." ;;
esac

echo "::$level title=$(esc_prop "$name $word")::$(esc_data "$name: $text")"
{
  echo "## $name: $word"
  echo
  if [[ $word == INCONCLUSIVE ]]; then
    echo '> [!WARNING]'
    echo "> **INCONCLUSIVE**: $text"
  else
    echo "**$word**: $text"
  fi
  echo
  if [[ -n "$details" && -f "$details" ]]; then
    cat "$details"
    echo
  elif [[ -n "$details" ]]; then
    echo "($details was not written.)"
    echo
  fi
} >> "${GITHUB_STEP_SUMMARY:-/dev/stdout}"
exit "$status"
