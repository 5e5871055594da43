#!/usr/bin/env bash
# The demo of PermWatch's main job (README's first command), end to end under
# Wine in a private prefix:
#   1. the offline check of the KB Q192493 example (the broken MSExchangeES key);
#   2. the live watchdog: the key as Exchange 5.5 Setup left it, repaired at
#      start, sabotaged while PermWatch runs and repaired again, the journal,
#      a clean stop;
#   3. a failover on the simulated cluster (tests/fakes: a project-built
#      clusapi.dll and clussim.exe standing in for ClusSvc, which Wine cannot
#      run): with PermWatch the checkpoint restore succeeds, without it the
#      restore fails as in KB Q192493 (ClusSvc event 1024).
# Idempotent; does its own set-up (packages, build, prefix). Ends with one
# verdict line.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '\n== %s\n' "$*"; }
fail() { printf '\nVERDICT: FAILED - %s\n' "$*"; exit 1; }

say "set-up: packages and the Windows build (MinGW-w64)"
bash scripts/setup.sh >/dev/null
cmake --preset windows-cross >/dev/null
cmake --build --preset windows-cross --target permwatch demo_actor clussim fake_clusapi >/dev/null
BIN="$ROOT/build/windows-cross"
PW="$BIN/service/permwatch.exe"
ACTOR="$BIN/tests/demo_actor.exe"
FAKES="$BIN/tests/fakes/bin"

export PERMWATCH_WINEPREFIX="$ROOT/build/demo/wineprefix"
# shellcheck source=scripts/wine-env.sh
. scripts/wine-env.sh
WATCHDOG_PID=""
# Act 3 puts the fake clusapi.dll where PermWatch loads it from, the prefix's
# System32 (it never loads one from beside the exe); Wine's own is kept aside
# and put back at the end, so acts 1 and 2 of the next run see no cluster.
SYS32="$WINEPREFIX/drive_c/windows/system32"
cleanup() {
  [ -n "$WATCHDOG_PID" ] && kill "$WATCHDOG_PID" 2>/dev/null || true
  rig_stop
  if [ -f "$SYS32/clusapi.dll.wine" ]; then mv -f "$SYS32/clusapi.dll.wine" "$SYS32/clusapi.dll"; fi
}
trap cleanup EXIT
rig_start >/dev/null 2>&1 || fail "Wine prefix could not be started"

KEY='SYSTEM\CurrentControlSet\Services\MSExchangeES'
# As Exchange 5.5 Setup left it: no entry for the Exchange service account.
SETUP_DACL='D:(A;CI;KR;;;BU)(A;CI;KA;;;BA)(A;CI;KA;;;SY)(A;CIIO;GA;;;CO)'

say "act 1: offline check of the shipped KB Q192493 example (no registry needed)"
set +e
wine "$PW" check --snapshot 'config\snapshots\msexchangees-broken.json' --config 'config\permwatch.json'
offline_rc=$?
set -e
[ $offline_rc -eq 1 ] || fail "offline check exited $offline_rc, expected 1 (drift)"

say "act 2: the live watchdog in a private Wine prefix ($WINEPREFIX)"
# Wine resolves only its own accounts, so the Exchange service account is the
# prefix's user (.\\$USER here, as Wine names it: root under CI); the Cluster
# service logs on as LocalSystem. Both are real SCM services PermWatch reads.
ACCOUNT=".\\$(whoami)"
wine "$ACTOR" create-service MSExchangeSA "$ACCOUNT"
wine "$ACTOR" create-service ClusSvc LocalSystem
wine "$ACTOR" set-dacl "$KEY" "$SETUP_DACL"
echo "MSExchangeSA logs on as $ACCOUNT (the prefix's user); ClusSvc as LocalSystem"
echo "key HKLM\\$KEY set as Setup left it: $(wine "$ACTOR" get-dacl "$KEY")"

DEMO="$WINEPREFIX/drive_c/PermWatchDemo"
rm -rf "$DEMO" && mkdir -p "$DEMO"
# The shipped config, with a 2 s sweep: Wine never signals a DACL change
# (REG_NOTIFY_CHANGE_SECURITY, docs/testing.md), so the sweep finds sabotage.
sed -e 's/"sweep_interval_s": 60/"sweep_interval_s": 2/' \
    -e 's/"journal": "[^"]*"/"journal": "C:\\\\PermWatchDemo\\\\journal.jsonl"/' \
    config/permwatch.json > "$DEMO/permwatch.json"
LOG="$DEMO/console.log"

# Job control: a background job then keeps SIGINT, which Wine turns into
# CTRL_C_EVENT for the console handler (DESIGN.md).
set -m
wine "$PW" run --console --config 'C:\PermWatchDemo\permwatch.json' 2>"$LOG" &
WATCHDOG_PID=$!
set +m

wait_for() {  # wait_for PATTERN COUNT SECONDS
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    [ "$(grep -c -- "$1" "$LOG" 2>/dev/null || true)" -ge "$2" ] && return 0
    sleep 0.1
  done
  return 1
}

wait_for '\[2001\]' 1 20 || { cat "$LOG"; fail "drift at start was not repaired"; }
say "PermWatch found the drift at start and repaired it:"
grep -E '\[1000\]|\[2000\]|\[2001\]' "$LOG"
echo "key now: $(wine "$ACTOR" get-dacl "$KEY")"

say "sabotage: an administrator's tool puts the Setup DACL back while PermWatch runs"
wine "$ACTOR" set-dacl "$KEY" "$SETUP_DACL"
wait_for '\[2001\]' 2 20 || { cat "$LOG"; fail "sabotage was not repaired"; }
grep -E '\[200[01]\]' "$LOG" | tail -n 2
echo "key now: $(wine "$ACTOR" get-dacl "$KEY")"

say "the journal (written and flushed before each write):"
cat "$DEMO/journal.jsonl"

say "stop: Ctrl+C"
kill -INT "$WATCHDOG_PID"
stopped=0
for ((i = 0; i < 100; i++)); do
  kill -0 "$WATCHDOG_PID" 2>/dev/null || { stopped=1; break; }
  sleep 0.1
done
wait "$WATCHDOG_PID" 2>/dev/null && rc=0 || rc=$?
WATCHDOG_PID=""
[ $stopped -eq 1 ] || fail "the watchdog did not stop on Ctrl+C"
grep '\[1001\]' "$LOG" || fail "no clean-stop line"
[ "$rc" -eq 0 ] || fail "run --console exited $rc"

wine "$PW" check --config 'C:\PermWatchDemo\permwatch.json' >/dev/null ||
  fail "the key is not compliant after act 2"
repairs=$(grep -c '"reason":"drift"' "$DEMO/journal.jsonl")

say "act 3: failover on a simulated two-node cluster (NODE2 active, NODE1 = this node, passive)"
[ -f "$SYS32/clusapi.dll.wine" ] || cp "$SYS32/clusapi.dll" "$SYS32/clusapi.dll.wine"
cp "$FAKES/clusapi.dll" "$SYS32/clusapi.dll"
export WINEDLLOVERRIDES="$WINEDLLOVERRIDES;clusapi=n"
SIM="$FAKES/clussim.exe"
SA_SID=$(wine "$ACTOR" user-sid | tr -d '\r')
wine "$SIM" teardown >/dev/null 2>&1 || true
# The checkpoint is saved on the active node with the key as it should be.
wine "$SIM" setup --node NODE1 --other-node NODE2 --group "Exchange Group" --owner NODE2 \
  --resource "Exchange Event Service" --checkpoint "$KEY" --account "$SA_SID" >/dev/null
FAILOVER_LOG="$DEMO/failover.log"
set -m
wine "$PW" run --console --config 'C:\PermWatchDemo\permwatch.json' 2>"$FAILOVER_LOG" &
WATCHDOG_PID=$!
set +m
LOG="$FAILOVER_LOG"
wait_for 'cluster ' 1 20 || { cat "$LOG"; fail "PermWatch did not connect to the simulated cluster"; }
grep 'cluster ' "$LOG" | head -n 1
wine "$ACTOR" set-dacl "$KEY" "$SETUP_DACL"
echo "sabotaged on the passive node: $(wine "$ACTOR" get-dacl "$KEY")"
set +e
wine "$SIM" failover --to NODE1 --grace-ms 500 | tee "$DEMO/failover-saved.txt"
saved_rc=${PIPESTATUS[0]}
set -e
wait_for '\[3000\]' 1 10 && grep -E '\[3000\]|\[3001\]' "$LOG" | head -n 2
kill -INT "$WATCHDOG_PID"; wait "$WATCHDOG_PID" 2>/dev/null || true; WATCHDOG_PID=""
[ "$saved_rc" -eq 0 ] || fail "the failover with PermWatch running did not restore the checkpoint"
echo "FAILOVER SAVED: PermWatch repaired the key before the restore; the resource came online"

say "the same failover without PermWatch"
wine "$SIM" move-away --to NODE2 >/dev/null
wine "$ACTOR" set-dacl "$KEY" "$SETUP_DACL"
set +e
wine "$SIM" failover --to NODE1 --grace-ms 500 | tee "$DEMO/failover-lost.txt"
lost_rc=${PIPESTATUS[0]}
set -e
wine "$SIM" teardown >/dev/null
[ "$lost_rc" -eq 1 ] || fail "the failover without PermWatch should have failed its restore"
echo "FAILOVER LOST: the restore failed (ClusSvc event 1024) and the resource stayed offline, as in KB Q192493"

printf '\nVERDICT: OK - key repaired at start and after sabotage (%s journaled repairs), failover saved with PermWatch and lost without it\n' "$repairs"
