#!/usr/bin/env bash
# The PowerShell phase (scripts/test.sh powershell): the PermWatch module
# (installer/PermWatch) under PowerShell 7 with Pester 5, against the real
# permwatch.exe under Wine.
#   tests/powershell/run_tests.sh BUILD_DIR      (BUILD_DIR: the windows-cross build)
# 1. pwsh (dotnet tool, pinned) and Pester (NuGet, pinned) into
#    build/powershell, once; without dotnet: one line, exit 0 (skipped).
# 2. Fixtures, made here by the real exe, never by hand: in the rig's prefix
#    check/repair/status (a console watchdog with its own config, pipe and
#    key) and "no cluster"; in two simulated node prefixes of this phase's
#    own (build/powershell/nodes) status --cluster and check --cluster,
#    ready and not ready.
# 3. Pester on tests/powershell/*.Tests.ps1; the end-to-end cases call the
#    exe through Wine while the console watchdog runs.
# Every wait is a poll with a wide bound. Stops only what it started: its
# watchdog, its two nodes' watchdogs and those nodes' own wineservers; the
# rig's wineserver is left running for the other tests.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$(cd "${1:?usage: run_tests.sh BUILD_DIR}" && pwd)"
PWSH_VERSION=7.6.10   # 7.7.0 does not install here
PESTER_VERSION=5.7.1
PSDIR="$ROOT/build/powershell"
OUT="$PSDIR/fixtures"

if ! command -v dotnet >/dev/null; then
  echo "powershell: SKIPPED: no dotnet SDK on this machine, so no pwsh or Pester (install the .NET SDK to run the module's tests)"
  exit 0
fi

# --- 1. the tools, once -------------------------------------------------------
mkdir -p "$PSDIR"
PWSH="$PSDIR/tools/pwsh"
if [ ! -x "$PWSH" ]; then
  dotnet tool install --tool-path "$PSDIR/tools" PowerShell --version "$PWSH_VERSION" \
    >"$PSDIR/pwsh-install.log" 2>&1 ||
    { echo "powershell: dotnet tool install PowerShell $PWSH_VERSION failed:"; cat "$PSDIR/pwsh-install.log"; exit 1; }
fi
PESTER="$PSDIR/packages/pester/$PESTER_VERSION/tools/Pester.psd1"
if [ ! -f "$PESTER" ]; then
  mkdir -p "$PSDIR/restore"
  # PackageDownload fetches the package as it is, with no assets and nothing
  # installed anywhere but --packages.
  cat >"$PSDIR/restore/restore.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="Pester" Version="[$PESTER_VERSION]" /></ItemGroup>
</Project>
EOF
  dotnet restore "$PSDIR/restore/restore.csproj" --packages "$PSDIR/packages" \
    >"$PSDIR/pester-restore.log" 2>&1 ||
    { echo "powershell: restoring Pester $PESTER_VERSION failed:"; cat "$PSDIR/pester-restore.log"; exit 1; }
fi

PW="$BUILD/service/permwatch.exe"
ACTOR="$BUILD/tests/demo_actor.exe"
for f in "$PW" "$ACTOR" "$BUILD/tests/fakes/bin/clussim.exe" "$BUILD/tests/fakes/bin/clusapi.dll"; do
  [ -f "$f" ] || { echo "powershell: $f is missing: build the windows-cross preset first"; exit 1; }
done

rm -rf "$OUT" && mkdir -p "$OUT"

# --- 2a. the rig's prefix: one-shot commands and a console watchdog ----------
export PERMWATCH_WINEPREFIX="$BUILD/wineprefix"
# shellcheck source=scripts/wine-env.sh
. "$ROOT/scripts/wine-env.sh"
rig_start || { echo "powershell: the Wine rig did not start"; exit 1; }
RIG_PREFIX=$WINEPREFIX

GOOD='D:(A;CI;KA;;;SY)(A;CI;KR;;;BU)'
BROKEN='D:(A;CI;KR;;;BU)(A;CI;KA;;;BA)'
DATA="$RIG_PREFIX/drive_c/PermWatchPester"
rm -rf "$DATA" && mkdir -p "$DATA"
# config NAME KEY PIPE SWEEP MODE: a config in C:\PermWatchPester with its own
# key, pipe and journal, so that nothing here meets another test's.
config() {
  cat >"$2" <<EOF
{ "version": 1, "mode": "$6", "sweep_interval_s": $5, "pipe": "$4",
  "journal": "C:\\\\PermWatchPester\\\\$1-journal.jsonl",
  "keys": [ { "path": "HKLM\\\\$3", "checkpoint": false,
              "require": [ { "principal": "S-1-5-18", "rights": ["KEY_ALL_ACCESS"],
                             "inherit": ["container"] } ] } ] }
EOF
}
WATCHED='SOFTWARE\PermWatchPester\Watched'
ONESHOT='SOFTWARE\PermWatchPester\OneShot'
config watchdog "$DATA/watchdog.json" 'SOFTWARE\\PermWatchPester\\Watched' permwatch-pester 1 enforce
config oneshot "$DATA/oneshot.json" 'SOFTWARE\\PermWatchPester\\OneShot' permwatch-pester-oneshot 60 enforce

# record NAME CMD...: stdout, stderr and exit code of one run, as the module's
# Invoke-PermWatchExe returns them (Pester reads them back in that shape).
record() {
  local name=$1
  shift
  "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"
  echo $? >"$OUT/$name.exit"
}
wine "$ACTOR" set-dacl "$ONESHOT" "$BROKEN" >/dev/null
record check-drift wine "$PW" check --config 'C:\PermWatchPester\oneshot.json' --json
record repair-dry-run wine "$PW" repair --dry-run --config 'C:\PermWatchPester\oneshot.json' --json
record status-cluster-none wine "$PW" status --cluster --json
record check-cluster-none wine "$PW" check --cluster --group 'App Group' --json
record check-bad-config wine "$PW" check --config 'C:\PermWatchPester\missing.json' --json
record status-not-running wine "$PW" status --config 'C:\PermWatchPester\oneshot.json' --json

wine "$ACTOR" set-dacl "$WATCHED" "$BROKEN" >/dev/null
WATCHDOG_PID=""
set -m  # the background job keeps SIGINT, which Wine turns into Ctrl+C
wine "$PW" run --console --config 'C:\PermWatchPester\watchdog.json' 2>"$OUT/watchdog.log" &
WATCHDOG_PID=$!
set +m

# --- 2b. two simulated nodes of this phase's own -----------------------------
export PERMWATCH_NODES_DIR="$PSDIR/nodes"
export PERMWATCH_FAKES_BIN="$BUILD/tests/fakes/bin"
mkdir -p "$PERMWATCH_NODES_DIR"
# shellcheck source=scripts/cluster-nodes.sh
. "$ROOT/scripts/cluster-nodes.sh"
SIM="$PERMWATCH_FAKES_BIN/clussim.exe"
CLUSTERED='SOFTWARE\PermWatchPester\Clustered'

cleanup() {
  if [ -n "$WATCHDOG_PID" ]; then
    kill -INT "$WATCHDOG_PID" 2>/dev/null
    for ((i = 0; i < 100; i++)); do kill -0 "$WATCHDOG_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$WATCHDOG_PID" 2>/dev/null && echo "powershell: the console watchdog did not stop on Ctrl+C; killed"
    wait "$WATCHDOG_PID" 2>/dev/null
  fi
  WINEPREFIX=$RIG_PREFIX wine reg delete 'HKLM\SOFTWARE\PermWatchPester' /f >/dev/null 2>&1
  node_interrupt NODE1
  node_interrupt NODE2
  node_stop NODE1   # this phase's own prefixes, not the rig's
  node_stop NODE2
}
trap cleanup EXIT

cluster_fixtures() {
  local p1 p2 n dir mode start rc
  node_start NODE1 >/dev/null 2>&1 & p1=$!
  node_start NODE2 >/dev/null 2>&1 & p2=$!
  wait $p1 && wait $p2 || { echo "node prefixes did not start"; return 1; }
  node_wine NODE1 "$SIM" teardown >/dev/null 2>&1
  # A 10 s sweep: a heartbeat is fresh for two sweeps and published at most
  # every 5 s. NODE2 audits, so that the drift it finds stays.
  for n in NODE1 NODE2; do
    mode=enforce
    [ $n = NODE2 ] && mode=audit
    dir="$(node_prefix $n)/drive_c/PermWatchPester"
    rm -rf "$dir" && mkdir -p "$dir"
    config cluster "$dir/cluster.json" 'SOFTWARE\\PermWatchPester\\Clustered' permwatch-pester 10 $mode
    sed -i 's/"checkpoint": false/"checkpoint": "auto"/' "$dir/cluster.json"
    node_wine $n "$ACTOR" set-dacl "$CLUSTERED" "$GOOD" >/dev/null 2>&1 || { echo "set-dacl on $n"; return 1; }
  done
  node_wine NODE1 "$SIM" setup --node NODE1 --other-node NODE2 --group "App Group" --owner NODE1 \
    --resource "App" --checkpoint "$CLUSTERED" >/dev/null 2>&1 || { echo "clussim setup"; return 1; }
  node_wine NODE1 "$SIM" set-preferred --group "App Group" --nodes NODE1,NODE2 >/dev/null 2>&1
  node_spawn NODE1 "$OUT/node1.log" "$PW" run --console --config 'C:\PermWatchPester\cluster.json'
  node_spawn NODE2 "$OUT/node2.log" "$PW" run --console --config 'C:\PermWatchPester\cluster.json'
  # until_check NAME RC: check --cluster on NODE1 until it exits RC (90 s bound).
  until_check() {
    start=$(date +%s)
    while :; do
      record "$1" node_wine NODE1 "$PW" check --cluster --group 'App Group' --json
      rc=$(cat "$OUT/$1.exit")
      [ "$rc" -eq "$2" ] && return 0
      [ $(($(date +%s) - start)) -ge 90 ] && { echo "check --cluster exited $rc, not $2, for 90 s"; return 1; }
      sleep 1
    done
  }
  until_check check-cluster-ready 0 || return 1
  record status-cluster-ready node_wine NODE1 "$PW" status --cluster --json
  node_wine NODE2 "$ACTOR" set-dacl "$CLUSTERED" "$BROKEN" >/dev/null 2>&1
  until_check check-cluster-not-ready 1 || return 1
  record status-cluster-not-ready node_wine NODE1 "$PW" status --cluster --json
  node_interrupt NODE1
  node_interrupt NODE2
  node_wine NODE1 "$SIM" teardown >/dev/null 2>&1
  return 0
}
t0=$(date +%s)
cluster_fixtures >"$OUT/cluster-fixtures.log" 2>&1
cluster_rc=$?
echo "powershell: cluster fixtures in $(($(date +%s) - t0)) s (exit $cluster_rc)"
[ $cluster_rc -eq 0 ] || { cat "$OUT/cluster-fixtures.log"; tail -n 20 "$OUT/node1.log" "$OUT/node2.log"; }

# The watchdog's status, once it answers (60 s bound).
for ((i = 0; i < 60; i++)); do
  record status-running wine "$PW" status --config 'C:\PermWatchPester\watchdog.json' --json
  [ "$(cat "$OUT/status-running.exit")" -eq 0 ] && break
  sleep 1
done

# --- 3. Pester ------------------------------------------------------------------
export PERMWATCH_EXE="$PW"
export PERMWATCH_WINE=wine
export PERMWATCH_TEST_FIXTURES="$OUT"
export PERMWATCH_TEST_ACTOR="$ACTOR"
export PERMWATCH_TEST_DATA="$DATA"
export PERMWATCH_TEST_WATCHDOG_PID="$WATCHDOG_PID"
export PERMWATCH_TEST_CLUSTER_FIXTURES=$([ $cluster_rc -eq 0 ] && echo 1 || echo 0)
"$PWSH" -NoProfile -NonInteractive -Command "
  Import-Module '$PESTER' -Force
  \$c = New-PesterConfiguration
  \$c.Run.Path = '$ROOT/tests/powershell'
  \$c.Run.Exit = \$true
  \$c.Output.Verbosity = 'Detailed'
  \$c.TestResult.Enabled = \$true
  \$c.TestResult.OutputPath = '$PSDIR/pester-results.xml'
  Invoke-Pester -Configuration \$c
"
pester_rc=$?
[ $cluster_rc -eq 0 ] || { echo "powershell: the cluster fixtures could not be made"; exit 1; }
exit $pester_rc
