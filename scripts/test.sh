#!/usr/bin/env bash
# The project's test command (README): setup, then the native preset (ASan +
# UBSan, ctest), then the windows-cross preset with its tests under Wine, then
# the PowerShell module's Pester tests (pwsh 7 from the .NET SDK; skipped, in
# one line, on a machine without dotnet).
#   scripts/test.sh [native] [windows-cross] [powershell]     (default: all three)
# Build folders are reused (build/native, build/windows-cross); see docs/testing.md.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

presets=("$@")
[ ${#presets[@]} -eq 0 ] && presets=(native windows-cross powershell)

failed=()
summary=()
now() { date +%s.%N; }
# phase NAME COMMAND...: runs, times, records a failure; returns its status.
phase() {
  local name=$1; shift
  local t0 rc t
  t0=$(now)
  echo "=== $name: $*"
  "$@"
  rc=$?
  t=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
  summary+=("$(printf '%-28s %7ss  %s' "$name" "$t" "$([ $rc -eq 0 ] && echo ok || echo "FAILED ($rc)")")")
  echo "=== $name: ${t}s, exit $rc"
  [ $rc -eq 0 ] || failed+=("$name")
  return $rc
}

report() {
  echo
  echo "=== phases"
  printf '%s\n' "${summary[@]}"
  if [ ${#failed[@]} -eq 0 ]; then
    echo "=== all phases passed"
  else
    echo "=== FAILED: ${failed[*]}"
  fi
}

phase setup bash scripts/setup.sh || { report; exit 1; }

for preset in "${presets[@]}"; do
  case $preset in
    native)
      phase "native configure" cmake --preset native &&
      phase "native build" cmake --build --preset native -j2 &&
      phase "native ctest" ctest --preset native -j2 --output-on-failure
      ;;
    windows-cross)
      phase "windows-cross configure" cmake --preset windows-cross &&
      phase "windows-cross build" cmake --build --preset windows-cross -j2 || continue
      export PERMWATCH_WINEPREFIX="$ROOT/build/windows-cross/wineprefix"
      # shellcheck source=scripts/wine-env.sh
      . "$ROOT/scripts/wine-env.sh"
      trap 'rig_stop' EXIT INT TERM
      phase "wine rig start" rig_start &&
      phase "windows-cross ctest" ctest --preset windows-cross -j2 --output-on-failure
      phase "wine rig stop" rig_stop
      trap - EXIT INT TERM
      ;;
    powershell)
      # Needs permwatch.exe, demo_actor, clussim and the fake clusapi.dll:
      # built here when the windows-cross phase did not run first.
      if [[ " ${presets[*]} " != *" windows-cross "* ]] && command -v dotnet >/dev/null; then
        phase "windows-cross configure" cmake --preset windows-cross &&
        phase "windows-cross build (powershell)" cmake --build --preset windows-cross -j2 \
          --target permwatch demo_actor clussim fake_clusapi || continue
      fi
      phase "powershell (Pester)" bash tests/powershell/run_tests.sh "$ROOT/build/windows-cross"
      ;;
    *)
      echo "unknown preset $preset (native, windows-cross, powershell)" >&2
      failed+=("$preset")
      ;;
  esac
done

report
[ ${#failed[@]} -eq 0 ]
