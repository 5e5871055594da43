#!/usr/bin/env bash
# Builds permwatch_bench and runs it once under the Wine rig, passing the
# arguments through:  bash scripts/bench.sh [--keys N] [--idle-seconds S] ...
#
# The windows-cross preset is a Debug build, which would measure unoptimised
# code; so this script configures its own Release folder, build/bench, with the
# same MinGW toolchain (cmake/mingw-w64-x86_64.cmake) instead of the preset.
# -Wno-error=restrict: GCC 12 at -O2/-O3 reports a false -Wrestrict inside
# std::string (GCC bug 105329) in core/sid.cpp; it stays a warning here.
# The bench keys live in their own prefix, build/windows-cross/bench-prefix.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build/bench"
export PERMWATCH_WINEPREFIX="$root/build/windows-cross/bench-prefix"

cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-w64-x86_64.cmake" \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS=-Wno-error=restrict \
  -DPERMWATCH_TESTS=OFF \
  "-DCMAKE_CROSSCOMPILING_EMULATOR=$root/scripts/wine-run.sh;--prefix;$PERMWATCH_WINEPREFIX"
cmake --build "$build" --target permwatch_bench permwatch_failover_bench -j2

# shellcheck source=scripts/wine-env.sh
. "$root/scripts/wine-env.sh"
trap rig_stop EXIT
rig_start
wine "$build/bench/permwatch_bench.exe" "$@"
wine "$build/bench/permwatch_failover_bench.exe"
