#!/usr/bin/env bash
# Check the GitHub Actions workflows with actionlint (https://github.com/rhysd/actionlint),
# including their `run:` scripts with shellcheck, and shellcheck the scripts they call
# (scripts/ci/*.sh).
# - actionlint is installed with the machine's Go into .cache/go-bin when it is not there yet
#   (go install through the Go module proxy).
# - shellcheck: the one on PATH; else, as root, Debian's package (apt-get install shellcheck);
#   else the script stops with a message. actionlint is given its path explicitly: without one
#   it would skip the run: scripts silently.
# Arguments: workflow files (.yml/.yaml) to check instead of .github/workflows/*; anything else
# goes to actionlint (e.g. -format '{{json .}}').
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

if ! command -v shellcheck >/dev/null 2>&1; then
  if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "actionlint.sh: installing Debian's shellcheck package (apt-get install shellcheck)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q shellcheck >&2 || { apt-get update -q >&2 && apt-get install -y -q shellcheck >&2; } || true
  fi
  if ! command -v shellcheck >/dev/null 2>&1; then
    echo "actionlint.sh: shellcheck is not installed (no 'shellcheck' on PATH): actionlint needs it to check the workflows' run: scripts." >&2
    echo "  Install it (Debian/Ubuntu: apt-get install shellcheck, as root), then run this again." >&2
    exit 1
  fi
fi
SHELLCHECK="$(command -v shellcheck)"

workflows=()
args=()
for a in "$@"; do
  if [[ ( "$a" == *.yml || "$a" == *.yaml ) && -f "$a" ]]; then workflows+=("$a"); else args+=("$a"); fi
done
if [[ ${#workflows[@]} -eq 0 ]]; then
  shopt -s nullglob
  workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
  if [[ ${#workflows[@]} -eq 0 ]]; then
    echo "actionlint.sh: no workflow in .github/workflows" >&2
    exit 1
  fi
  ci_scripts=(scripts/ci/*.sh)
  if [[ ${#ci_scripts[@]} -gt 0 ]]; then "$SHELLCHECK" "${ci_scripts[@]}"; fi
fi
exec "$ACTIONLINT" -shellcheck "$SHELLCHECK" "${args[@]}" "${workflows[@]}"
