#!/usr/bin/env bash
# The device library's size on a speaker: libtacet.so cross-built for arm64 with the release flags
# (-Os, LTO, -ffunction-sections -fdata-sections, --gc-sections, no exceptions or RTTI), stripped.
# Prints its size, the size of each of its dependencies as a speaker would load them, and checks
# that no flatbuffers JSON parser or printer code is in it (only tacetctl uses those).
#
#   scripts/size.sh [build-dir]        default build/size-aarch64
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/size-aarch64}
STRIP=aarch64-linux-gnu-strip
NM=aarch64-linux-gnu-nm

cmake -S . -B "$BUILD" -G Ninja \
  -DCMAKE_TOOLCHAIN_FILE="$PWD/toolchains/aarch64-linux-gnu.cmake" \
  -DCMAKE_BUILD_TYPE=MinSizeRel -DCMAKE_INTERPROCEDURAL_OPTIMIZATION=ON \
  -DTACET_BUILD_SHARED=ON -DTACET_NO_EXCEPTIONS=ON -DTACET_WERROR=ON \
  -DTACET_BUILD_TESTS=OFF -DTACET_BUILD_BENCH=OFF -DTACET_BUILD_TOOLS=OFF -DTACET_BUILD_EXAMPLES=OFF \
  -DCMAKE_C_FLAGS="-ffunction-sections -fdata-sections" \
  -DCMAKE_CXX_FLAGS="-ffunction-sections -fdata-sections" \
  -DCMAKE_SHARED_LINKER_FLAGS="-Wl,--gc-sections -Wl,-O1 -Wl,--as-needed" >/dev/null
cmake --build "$BUILD" --target tacet_sdk -j "${TACET_JOBS:-$(nproc)}" >/dev/null

lib=$(ls "$BUILD"/sdk/libtacet.so.*.*.* | head -1)
stripped="$BUILD/libtacet.stripped.so"
"$STRIP" --strip-all -o "$stripped" "$lib"
bytes=$(stat -c %s "$stripped")
awk -v b="$bytes" 'BEGIN { printf "libtacet.so (arm64, -Os, LTO, gc-sections, stripped): %d bytes (%.1f KiB)\n", b, b / 1024 }'

# What the library needs at run time, and their sizes on disk (the speaker's system libraries).
aarch64-linux-gnu-readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | while read -r needed; do
  path=$(ls /usr/lib/aarch64-linux-gnu/"$needed" /lib/aarch64-linux-gnu/"$needed" 2>/dev/null | head -1 || true)
  if [ -n "$path" ]; then
    printf '  needs %-28s %8d bytes\n' "$needed" "$(stat -L -c %s "$path")"
  else
    printf '  needs %s\n' "$needed"
  fi
done
if aarch64-linux-gnu-readelf -d "$lib" | grep -q 'libflatbuffers'; then
  echo "FAIL: libtacet.so links libflatbuffers" >&2
  exit 1
fi
# The parser (flatbuffers::Parser, idl_parser.cpp) and the text printer (GenerateText) must be absent.
if "$NM" -C "$lib" 2>/dev/null | grep -Eq 'flatbuffers::(Parser|GenerateText|GenText)'; then
  echo "FAIL: flatbuffers' JSON parser or printer is in libtacet.so" >&2
  exit 1
fi
echo "no flatbuffers JSON parser or printer in the library"
