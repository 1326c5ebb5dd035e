#!/usr/bin/env bash
# Installs the current build into a scratch prefix, then configures, builds and runs a separate
# project that finds it with find_package(Tacet). Arguments: BUILD_DIR SOURCE_DIR CMAKE_COMMAND.
set -euo pipefail
build_dir=$1; source_dir=$2; cmake_cmd=${3:-cmake}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$cmake_cmd" --install "$build_dir" --prefix "$work/prefix" >/dev/null
# The consumer must only need the installed package, never the source tree.
"$cmake_cmd" -S "$source_dir/tests/integration/consumer" -B "$work/build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
"$cmake_cmd" --build "$work/build" >/dev/null
"$work/build/consumer"
