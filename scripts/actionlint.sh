#!/usr/bin/env bash
# Check the GitHub Actions workflows with actionlint (https://github.com/rhysd/actionlint).
# actionlint is installed with the machine's Go into .cache/go-bin when it is not there yet
# (go install through the Go module proxy); then it runs on .github/workflows/*.yml.
# Extra arguments go to actionlint (e.g. -format '{{json .}}').
set -euo pipefail
cd "$(dirname "$0")/.."
ACTIONLINT_VERSION=v1.7.12
# ACTIONLINT_BIN_DIR: another folder for the binary (the tests use it).
BIN_DIR="${ACTIONLINT_BIN_DIR:-$PWD/.cache/go-bin}"
ACTIONLINT="$BIN_DIR/actionlint"

installed_version() { "$ACTIONLINT" -version 2>/dev/null | head -n 1; }

if [[ ! -x "$ACTIONLINT" || "$(installed_version)" != "$ACTIONLINT_VERSION" ]]; then
  if ! command -v go >/dev/null 2>&1; then
    echo "actionlint.sh: Go is not installed (no 'go' on PATH): it is needed once to install actionlint $ACTIONLINT_VERSION into $BIN_DIR." >&2
    echo "  Install Go 1.25 or newer (https://go.dev/dl/), or put an actionlint $ACTIONLINT_VERSION binary at $ACTIONLINT." >&2
    exit 1
  fi
  mkdir -p "$BIN_DIR"
  echo "actionlint.sh: installing actionlint $ACTIONLINT_VERSION with $(go version) into $BIN_DIR" >&2
  GOBIN="$BIN_DIR" go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" >&2
fi

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
if [[ ${#workflows[@]} -eq 0 ]]; then
  echo "actionlint.sh: no workflow in .github/workflows" >&2
  exit 1
fi
exec "$ACTIONLINT" "$@" "${workflows[@]}"
