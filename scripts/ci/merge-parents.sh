#!/usr/bin/env bash
# CI, pull requests: the commits an A/B benchmark compares. GitHub tests a merge commit
# (GITHUB_SHA, checked out as HEAD) of the PR's head into the base branch as it is now, which
# may be ahead of pull_request.base.sha. Its first parent is that base and its second the PR's
# head: benchmarking exactly these two measures exactly the PR's change.
# Writes base=<sha> and head=<sha> to $GITHUB_OUTPUT; PR_BASE_SHA and PR_HEAD_SHA (the event's)
# only add a notice when they differ.
set -euo pipefail

read -r merge base head extra <<<"$(git rev-list --parents -n 1 HEAD)"
if [[ "$merge" != "${GITHUB_SHA:-$merge}" ]]; then
  echo "::error title=A/B commits::HEAD is $merge, not the merge commit under test $GITHUB_SHA"
  exit 1
fi
if [[ -z "${head:-}" || -n "${extra:-}" ]]; then
  echo "::error title=A/B commits::HEAD $merge is not a merge of two commits (parents: ${base:-none} ${head:-} ${extra:-}); check out the pull request's merge commit"
  exit 1
fi
if [[ -n "${PR_BASE_SHA:-}" && "$base" != "$PR_BASE_SHA" ]]; then
  echo "::notice title=A/B commits::the base branch moved since the pull request's base $PR_BASE_SHA: base is the merge commit's first parent $base"
fi
if [[ -n "${PR_HEAD_SHA:-}" && "$head" != "$PR_HEAD_SHA" ]]; then
  echo "::notice title=A/B commits::the merge commit's second parent $head is not the event's head $PR_HEAD_SHA"
fi
echo "A/B: base $base (first parent of $merge), head $head (second parent)"
{
  echo "base=$base"
  echo "head=$head"
} >> "${GITHUB_OUTPUT:?GITHUB_OUTPUT must name the step output file}"
