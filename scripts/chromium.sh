#!/usr/bin/env bash
# Prints the path of a Chromium for the browser tests (test/integration/report-html.test.ts).
# Idempotent: uses $CHROMIUM_PATH, /usr/bin/chromium or another chromium on PATH when present;
# otherwise, when running as root, installs Debian's `chromium` package with apt-get.
# Everything but the path goes to stderr. Exit code 1 (with the fix) when none can be had.
set -euo pipefail

found() {
  if [[ -n "${CHROMIUM_PATH:-}" && -x "${CHROMIUM_PATH}" ]]; then echo "$CHROMIUM_PATH"; return 0; fi
  local c
  for c in /usr/bin/chromium /usr/bin/chromium-browser; do
    if [[ -x "$c" ]]; then echo "$c"; return 0; fi
  done
  for c in chromium chromium-browser; do
    if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
  done
  return 1
}

if found; then exit 0; fi

if [[ "$(id -u)" != "0" ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium not found: install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH" >&2
  exit 1
fi

# Two test runs at once must not run apt-get twice.
lock_dir="${VITALS_CACHE_DIR:-$(cd "$(dirname "$0")/.." && pwd)/.cache}"
mkdir -p "$lock_dir"
exec 9>"$lock_dir/chromium.lock"
flock -w 900 9 || { echo "chromium.sh: timed out waiting for another install" >&2; exit 1; }
if found; then exit 0; fi

echo "chromium not found: installing Debian's chromium package" >&2
export DEBIAN_FRONTEND=noninteractive
install() { apt-get install -y -q --no-install-recommends chromium >&2; }
if ! install; then
  apt-get update -q >&2
  install
fi
found || { echo "chromium.sh: chromium installed but not found on PATH" >&2; exit 1; }
