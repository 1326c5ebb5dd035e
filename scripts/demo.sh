#!/usr/bin/env bash
# The speaker demo (docs/demo.md): a smart speaker on Tacet's public C API records on-device
# intents and syncs them over Oblivious HTTP, through tacet-relay, to tacet-collector. Prints what
# happened on the device and what the gateway stored, step by step, and checks both. Exits 0 only
# when every check held; otherwise non-zero, naming the check (the work folder is then kept).
#
#   scripts/demo.sh
#
# Environment:
#   TACET_BUILD_DIR     the build to use (default build/ci); configured with the preset of its
#                       folder name (TACET_DEMO_PRESET, default ci) when it holds no build yet
#   TACET_DEMO_NO_BUILD non-empty: do not configure or build (the ctest example_speaker_demo)
#   TACET_DEMO_KEEP     non-empty: keep the work folder (device folder, server state, logs, dumps)
#   TACET_SPEAKER_DEMO, TACET_COLLECTOR, TACET_RELAY: the three programs (default: in the build)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${TACET_BUILD_DIR:-$ROOT/build/ci}
PRESET=${TACET_DEMO_PRESET:-$(basename "$BUILD")}
SPEAKER=${TACET_SPEAKER_DEMO:-$BUILD/examples/speaker/tacet-speaker-demo}
COLLECTOR=${TACET_COLLECTOR:-$BUILD/examples/collector/tacet-collector}
RELAY=${TACET_RELAY:-$BUILD/examples/relay/tacet-relay}
CHECK="$ROOT/examples/speaker/gateway_check.py"
START_TIMEOUT_S=15

die() {
  echo "demo: FAILED: $*" >&2
  exit 1
}

# ---- build (only what the demo needs; a no-op when it is up to date) ---------------------------
if [ -z "${TACET_DEMO_NO_BUILD:-}" ]; then
  if [ ! -f "$BUILD/build.ninja" ]; then
    [ "$BUILD" = "$ROOT/build/$PRESET" ] ||
      die "$BUILD holds no build; configure it, or set TACET_DEMO_PRESET to a preset building there"
    bash "$ROOT/scripts/setup.sh" >/dev/null
    echo "demo: configuring the $PRESET preset in $BUILD"
    (cd "$ROOT" && cmake --preset "$PRESET" >/dev/null)
  fi
  echo "demo: building the speaker demo, tacet-collector and tacet-relay in $BUILD"
  # Ninja builds files by path: the three programs and what they link.
  cmake --build "$BUILD" --target "${SPEAKER#"$BUILD"/}" "${COLLECTOR#"$BUILD"/}" \
    "${RELAY#"$BUILD"/}" >"$BUILD/demo-build.log" 2>&1 ||
    { tail -30 "$BUILD/demo-build.log" >&2; die "the build failed (log: $BUILD/demo-build.log)"; }
fi
for program in "$SPEAKER" "$COLLECTOR" "$RELAY"; do
  [ -x "$program" ] || die "$program is missing or not executable (build it, or set its variable)"
done
command -v python3 >/dev/null || die "python3 is needed to read the gateway's dump"

# ---- the servers --------------------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tacet-demo.XXXXXX")
GATEWAY_PID=""
RELAY_PID=""
STARTED=$(date +%s)
cleanup() {
  local rc=$?
  for pid in $RELAY_PID $GATEWAY_PID; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "$rc" -ne 0 ]; then
    for log in gateway.log relay.log; do
      if [ -s "$WORK/$log" ]; then
        echo "demo: last lines of $log:" >&2
        tail -5 "$WORK/$log" >&2
      fi
    done
    echo "demo: the work folder is kept: $WORK" >&2
  elif [ -n "${TACET_DEMO_KEEP:-}" ]; then
    echo "demo: the work folder is kept: $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits for DIR/port (written by a server when it listens) while PID lives; prints the port.
wait_for_port() {
  local dir=$1 pid=$2 name=$3 waited=0
  while [ ! -s "$dir/port" ]; do
    kill -0 "$pid" 2>/dev/null || die "$name exited before it listened (log: $WORK/$name.log)"
    [ "$waited" -lt $((START_TIMEOUT_S * 10)) ] ||
      die "$name did not write $dir/port within ${START_TIMEOUT_S} s"
    sleep 0.1
    waited=$((waited + 1))
  done
  tr -d '\n' <"$dir/port"
}

start_gateway() {
  "$COLLECTOR" --state-dir "$WORK/gateway" 2>>"$WORK/gateway.log" &
  GATEWAY_PID=$!
  GATEWAY_PORT=$(wait_for_port "$WORK/gateway" "$GATEWAY_PID" gateway)
}

start_relay() {  # [--port N]
  rm -f "$WORK/relay/port"
  "$RELAY" --state-dir "$WORK/relay" --gateway "https://127.0.0.1:$GATEWAY_PORT/gateway" \
    --gateway-spki "$(tr -d '\n' <"$WORK/gateway/tls-spki.sha256")" "$@" 2>>"$WORK/relay.log" &
  RELAY_PID=$!
  RELAY_PORT=$(wait_for_port "$WORK/relay" "$RELAY_PID" relay)
}

stop_relay() {
  kill -TERM "$RELAY_PID"
  wait "$RELAY_PID" 2>/dev/null || true
  RELAY_PID=""
}

# ---- the story ----------------------------------------------------------------------------------
STEP_NO=0
heading() {
  STEP_NO=$((STEP_NO + 1))
  printf '\n== %d. %s\n' "$STEP_NO" "$1"
}

# The device runs one step of the story, as a new process on the same device folder.
device() {
  local step=$1
  "$SPEAKER" --data-dir "$WORK/device" --step "$step" --journal "$WORK/journal.jsonl" \
    --out-dir "$WORK" --relay-url "https://127.0.0.1:$RELAY_PORT/relay" \
    --relay-spki "$(tr -d '\n' <"$WORK/relay/tls-spki.sha256")" \
    --key-config "$WORK/gateway/key-config.bin" ||
    die "the device's step '$step' (exit $?; its CHECK FAILED lines say why)"
}

# What the gateway has stored now, the batches not shown before, and the checks after `step`.
gateway() {
  local step=$1
  rm -f "$WORK/dump.json"
  "$COLLECTOR" --state-dir "$WORK/gateway" --dump "$WORK/dump.json" 2>>"$WORK/gateway.log" ||
    die "tacet-collector --dump failed (log: $WORK/gateway.log)"
  python3 "$CHECK" --dump "$WORK/dump.json" --journal "$WORK/journal.jsonl" --step "$step" \
    --seen "$WORK/seen-batches" || die "the gateway's dump after step '$step' (see above)"
}

echo "demo: work folder $WORK"
start_gateway
start_relay
echo "demo: tacet-collector (the gateway) on 127.0.0.1:$GATEWAY_PORT, tacet-relay on" \
  "127.0.0.1:$RELAY_PORT; the device pins the relay's TLS key and the gateway's OHTTP key" \
  "configuration"

heading "Consent unknown: the speaker may not listen"
device consent-unknown
gateway consent-unknown

heading "Consent granted: wake word, command, on-device intent, synced through the relay"
device granted
gateway granted

heading "Approximate location only: what leaves is coarsened"
device approximate-location
gateway approximate-location

heading "Revoked mid-utterance: capture stops at once, queued voice data is purged"
device revoke
gateway revoke

heading "The network drops (the relay is stopped) ..."
stop_relay
echo "  network: tacet-relay stopped"
device network-down
gateway network-down
echo "  ... and comes back (the relay restarts on the same port)"
start_relay --port "$RELAY_PORT"
echo "  network: tacet-relay listening again on 127.0.0.1:$RELAY_PORT"
device network-back
gateway network-back

heading "The user exports their data and reads the privacy report"
device export
python3 "$CHECK" --export "$WORK/export.json" --report "$WORK/report.html" ||
  die "the export or the report (see above)"

heading "Erasure: the device asks the backend to delete"
device erase
gateway erase

echo
echo "demo: gateway log (one line per request; the peer is the relay, never the device):"
sed 's/^/  /' "$WORK/gateway.log" | tail -4
echo "demo: ok: every check held ($(($(date +%s) - STARTED)) s)"
