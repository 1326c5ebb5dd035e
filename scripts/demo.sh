#!/usr/bin/env bash
# Runs Tacet's main job and prints what happens. Until the speaker demo exists, that is the
# quickstart: a device opened through the public C++ wrapper (tacet.hpp), consent recorded, a
# gated microphone session ended by a revocation, location coarsened, a profile value corrected,
# the export and privacy report written.
# Installs packages and builds (the `ci` preset) first if needed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
if [ ! -f build/ci/build.ninja ]; then
  cmake --preset ci >/dev/null
fi
cmake --build --preset ci --target tacet_quickstart >/dev/null
exec build/ci/examples/quickstart/tacet_quickstart
