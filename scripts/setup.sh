#!/usr/bin/env bash
# Installs what the build and the Wine rig need on Debian 12. Idempotent: asks
# apt only for packages that are missing (one apt-get update, only then).
set -euo pipefail

PACKAGES=(
  cmake ninja-build ccache g++ clang lld llvm
  mingw-w64 g++-mingw-w64-x86-64-posix
  wine wine64
  msitools wixl
  libboost-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libcli11-dev
  googletest libgtest-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null; then
  SUDO=(sudo)
else
  echo "setup: missing packages (${missing[*]}) and not root, no sudo" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
