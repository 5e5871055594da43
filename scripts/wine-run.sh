#!/usr/bin/env bash
# CMAKE_CROSSCOMPILING_EMULATOR for the windows-cross build:
#   wine-run.sh [--prefix DIR] program.exe [args...]
# Runs the program with wine in the rig's private prefix (scripts/wine-env.sh).
set -euo pipefail
if [ "${1:-}" = "--prefix" ]; then
  export PERMWATCH_WINEPREFIX="$2"
  shift 2
fi
# shellcheck source=scripts/wine-env.sh
. "$(dirname "${BASH_SOURCE[0]}")/wine-env.sh"
mkdir -p "$WINEPREFIX"
exec wine "$@"
