#!/usr/bin/env bash
# Tacet's whole test run, as CI runs it: install the Debian packages, then configure, build and
# run every test in each build that has tests of its own:
#
#   ci       RelWithDebInfo, warnings as errors: every unit, integration, e2e and kat test, and the
#            Java and Swift bindings' tests (JUnit 5, XCTest) over the shared C library
#   asan     AddressSanitizer + UndefinedBehaviorSanitizer: the same tests
#   tsan     ThreadSanitizer: the concurrency tests
#   fuzz     clang + libFuzzer: each fuzz target briefly over its corpus (fuzz-smoke)
#   aarch64  the arm64 cross build: unit and kat tests under qemu-aarch64
#
# TACET_TEST_STAGES="ci fuzz" limits the run to some builds (for local iteration; CI runs all).
# Exits non-zero as soon as a build or a test fails. The last line sums every stage's tests.
set -euo pipefail
cd "$(dirname "$0")/.."

STAGES=${TACET_TEST_STAGES:-"ci asan tsan fuzz aarch64"}
JOBS=${TACET_JOBS:-$(nproc)}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}

log() { printf '\n==== [test] %s\n' "$*"; }

log "setup: Debian packages"
bash scripts/setup.sh

total_passed=0
total_failed=0
run_stage() {
  local preset=$1
  log "$preset: configure"
  cmake --preset "$preset" >"build-$preset.configure.log" 2>&1 || { cat "build-$preset.configure.log"; exit 1; }
  rm -f "build-$preset.configure.log"
  log "$preset: build"
  cmake --build --preset "$preset" -j "$JOBS"
  log "$preset: test"
  local out
  out=$(mktemp)
  set +e
  ctest --preset "$preset" -j "$JOBS" 2>&1 | tee "$out"
  local rc=${PIPESTATUS[0]}
  set -e
  # ctest's summary: "100% tests passed, 0 tests failed out of 42"
  local line passed failed
  line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$out" | tail -n 1 || true)
  rm -f "$out"
  if [ -n "$line" ]; then
    failed=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
    passed=$(( $(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line") - failed ))
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failed))
  fi
  if [ "$rc" -ne 0 ] || [ -z "$line" ]; then
    echo "[test] $preset: ctest failed (exit $rc)" >&2
    echo "tests: $total_passed passed, $((total_failed > 0 ? total_failed : 1)) failed"
    exit 1
  fi
}

for stage in $STAGES; do
  run_stage "$stage"
done

log "all stages passed: $STAGES"
echo "tests: $total_passed passed, $total_failed failed"
