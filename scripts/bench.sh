#!/usr/bin/env bash
# Runs tacet_bench once and prints each benchmark as a ratio of its baseline from the same run.
#   scripts/bench.sh [BUILD_DIR] [extra benchmark flags...]
# BUILD_DIR defaults to build/ci (configure and build it first: cmake --preset ci && cmake --build --preset ci).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/ci}
shift || true
bench="$build/tacet_bench"
[ -x "$bench" ] || { echo "no $bench: build the preset first" >&2; exit 1; }
out=$(mktemp --suffix=.json)
trap 'rm -f "$out"' EXIT
"$bench" --benchmark_out="$out" --benchmark_out_format=json --benchmark_repetitions=${TACET_BENCH_REPS:-3} \
  --benchmark_report_aggregates_only=true "$@"
python3 scripts/bench_ratios.py "$out"
