#!/usr/bin/env bash
# Regenerates the checked-in example sweep, results/examples/batch-interval-sweep/, from one
# clean commit, on a quiet machine (nothing else running: the figures describe the machine too).
#   bash scripts/example-sweep.sh            # --batch-interval 2,10,30 at 500 readings/s, 4 runs per value
#   REPEAT=2 bash scripts/example-sweep.sh   # fewer runs (then no step between values can be tested)
# It refuses a tree with uncommitted changes (every run must be of one commit, which the
# example's README names), runs the sweep into a fresh folder, keeps what the example shows
# (report.md, sweep.json, sweep.csv, the charts as SVG and PNG, each run's report.md,
# results.json, summary.csv and SVG charts) and writes the README with the command, the commit,
# the date and the machine. About 2 minutes a run on 2 cores: 12 runs, about 25 minutes.
set -euo pipefail

PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$PROJECT_ROOT"
REPEAT="${REPEAT:-4}"
EXAMPLE="results/examples/batch-interval-sweep"
ARGS=(--rate 500 --batch-interval 2,10,30 --repeat "$REPEAT" --duration 90 --quiet --no-history)

die() { printf '[example] error: %s\n' "$*" >&2; exit 1; }

[[ -z "$(git status --porcelain --untracked-files=no)" ]] ||
  die "uncommitted changes: commit first, so that every run of the example is of one commit"
COMMIT="$(git rev-parse HEAD)"

OUT="$(mktemp -d "${TMPDIR:-/tmp}/vitals-example-XXXXXX")"
trap 'rm -rf "$OUT"' EXIT
printf '[example] npm run bench -- %s --out %s (commit %s)\n' "${ARGS[*]}" "$OUT" "${COMMIT:0:7}" >&2
npm run bench --silent -- "${ARGS[@]}" --out "$OUT" || die "the sweep failed (its report, if any, is in $OUT)"

SWEEP="$(find "$OUT" -mindepth 1 -maxdepth 1 -type d -name 'sweep_*' | head -n 1)"
[[ -n "$SWEEP" && -f "$SWEEP/sweep.json" ]] || die "no sweep folder with a sweep.json under $OUT"

rm -rf "$EXAMPLE"
mkdir -p "$EXAMPLE"
cp "$SWEEP"/report.md "$SWEEP"/sweep.json "$SWEEP"/sweep.csv "$SWEEP"/*.svg "$SWEEP"/*.png "$EXAMPLE"/
for run in "$SWEEP"/*/; do
  name="$(basename "$run")"
  mkdir -p "$EXAMPLE/$name"
  cp "$run"/report.md "$run"/results.json "$run"/summary.csv "$run"/*.svg "$EXAMPLE/$name"/
done

MACHINE="$(node -e 'const os=require("os");console.log(`${os.cpus().length} cores (${os.cpus()[0].model.trim()}), ${Math.round(os.totalmem()/2**30)} GiB, Node ${process.version}`)')"
cat >"$EXAMPLE/README.md" <<EOF
# Example: a sweep of the batch interval

Written by \`bash scripts/example-sweep.sh\`, that is
\`npm run bench -- ${ARGS[*]}\`, at commit ${COMMIT} (every run), on $(date -u +%Y-%m-%d)
on ${MACHINE}, with nothing else running. Kept as an example of what a sweep writes: the
sweep's \`report.md\` (each value's figures with the interval of their median, the steps between
values that a Mann-Whitney test over the runs tells from noise, the trade-off map), \`sweep.json\`,
\`sweep.csv\` and charts, and each run's \`report.md\`, \`results.json\`, \`summary.csv\` and SVG
charts (the runs' PNGs and \`report.html\` are left out to keep the repository small;
\`vitals-bench report DIR\` on a run folder, or on this folder, writes them again).
EOF
printf '[example] written: %s (commit %s)\n' "$EXAMPLE" "${COMMIT:0:7}" >&2
