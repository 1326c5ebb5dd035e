#!/usr/bin/env bash
# Installs every Debian package that Tacet's build and tests need, and nothing else.
#
# Idempotent: a package already installed (dpkg says "install ok installed") is skipped, and
# `apt-get update` runs at most once, and only when something is missing. Needs root (or sudo).
# Fails with a message naming the package when one cannot be had.
set -euo pipefail

log() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "run as root or install sudo"
  SUDO="sudo"
fi

# Host toolchain, libraries and test tools.
HOST_PACKAGES=(
  cmake ninja-build g++ pkg-config
  libsqlite3-dev sqlite3
  libmbedtls-dev
  libflatbuffers-dev flatbuffers-compiler
  libgtest-dev libgmock-dev libbenchmark-dev
  openjdk-17-jdk-headless junit5
  clang libclang-rt-14-dev
  python3
  nlohmann-json3-dev
)
# arm64 cross build: compiler, target libraries (multiarch) and qemu to run the tests.
ARM64_PACKAGES=(
  g++-aarch64-linux-gnu qemu-user
  libsqlite3-dev:arm64 libmbedtls-dev:arm64 libflatbuffers-dev:arm64
  libgtest-dev:arm64 libgmock-dev:arm64
  libc6:arm64 libstdc++6:arm64
)

is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

updated=0
apt_update_once() {
  if [ "$updated" -eq 0 ]; then
    log "apt-get update"
    $SUDO apt-get update -qq || die "apt-get update failed (is a Debian mirror reachable?)"
    updated=1
  fi
}

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  log "adding the arm64 architecture to dpkg (for the aarch64 cross build)"
  $SUDO dpkg --add-architecture arm64
  updated=0
fi

missing=()
for p in "${HOST_PACKAGES[@]}" "${ARM64_PACKAGES[@]}"; do
  if is_installed "$p"; then
    :
  else
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  log "all ${#HOST_PACKAGES[@]} host and ${#ARM64_PACKAGES[@]} arm64 packages are present"
  exit 0
fi

apt_update_once
log "installing: ${missing[*]}"
if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
  # Say which one could not be had rather than leaving the reader with apt's wall of text.
  for p in "${missing[@]}"; do
    if ! apt-cache show "$p" >/dev/null 2>&1; then
      die "package '$p' is not available from the configured Debian sources"
    fi
  done
  die "apt-get install failed for: ${missing[*]}"
fi

for p in "${missing[@]}"; do
  is_installed "$p" || die "package '$p' did not install"
done
log "installed ${#missing[@]} package(s)"
