#!/usr/bin/env bash
# Installs the current build into a scratch prefix, then builds the C consumer in consumer/ against
# the installed package only — once with find_package(Tacet), once with pkg-config — and runs each
# on a fresh device folder. Arguments: BUILD_DIR SOURCE_DIR CMAKE_COMMAND [C_COMPILER].
set -euo pipefail
build_dir=$1; source_dir=$2; cmake_cmd=${3:-cmake}; cc=${4:-cc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$cmake_cmd" --install "$build_dir" --prefix "$work/prefix" >/dev/null
# The installed headers stand alone (no private header, no flatbuffers).
for header in "$work"/prefix/include/tacet/*.h; do
  "$cc" -std=c99 -pedantic -Wall -Wextra -Werror -fsyntax-only -I"$work/prefix/include" -x c "$header"
done

# find_package(Tacet)
"$cmake_cmd" -S "$source_dir/tests/integration/consumer" -B "$work/build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
"$cmake_cmd" --build "$work/build" >/dev/null
"$work/build/consumer" "$work/device-cmake"

# pkg-config, from a plain compiler command line
pc_dir=$(dirname "$(find "$work/prefix" -name tacet.pc | head -1)")
flags=$(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs tacet)
# shellcheck disable=SC2086
"$cc" -std=c99 -Wall -Wextra -Werror -o "$work/consumer-pc" \
  "$source_dir/tests/integration/consumer/main.c" $flags
"$work/consumer-pc" "$work/device-pkgconfig" | sed 's/^consumer/pkg-config consumer/'
