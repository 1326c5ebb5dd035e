#!/usr/bin/env bash
# Lists the dynamic symbols a shared libtacet defines and fails unless every one is a tacet_*
# function of the C API (the version node TACET_0 itself is allowed), and unless the C API's
# entry points are there. Arguments: LIBRARY NM HEADER.
set -euo pipefail
lib=$1; nm_tool=${2:-nm}; header=$3
defined=$("$nm_tool" -D --defined-only "$lib" | awk '{print $NF}' | sed 's/@.*//' | sort -u)
strays=$(grep -v -E '^(tacet_[a-z0-9_]+|TACET_0)$' <<<"$defined" || true)
if [ -n "$strays" ]; then
  echo "exported symbols outside the C API:"; echo "$strays" | head -50; exit 1
fi
# Every function tacet.h (and the headers it includes) declares is exported.
declared=$(cat "$header" "$(dirname "$header")"/tacet_*.h | tr '\n' ' ' |
           grep -o -E 'TACET_API [^;(]*\(' | grep -o -E 'tacet_[a-z0-9_]+ *\($' | tr -d ' (' | sort -u)
missing=$(comm -23 <(echo "$declared") <(echo "$defined"))
if [ -n "$missing" ]; then
  echo "declared in tacet.h but not exported:"; echo "$missing"; exit 1
fi
echo "exports ok: $(grep -c '^tacet_' <<<"$defined") tacet_* functions, nothing else"
