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
#      restore fails as in KB Q192493 (ClusSvc event 1024);
#   4. the whole cluster at a glance: two simulated nodes (this prefix and a
#      second one, each its own registry), both publishing into the simulated
#      cluster database; the key sabotaged on the passive NODE2; `check
#      --cluster` says "not ready: NODE2", PermWatch on NODE2 repairs it,
#      `check --cluster` says ready, and the move to NODE2 succeeds;
#   5. zero configuration: `"keys": "auto"` and no word of Exchange in the
#      config; PermWatch learns the checkpointed key from the cluster and its
#      accounts from the SCM (ClusSvc's, and that of MSExchangeES, the service
#      of the Generic Service resource), repairs the key, `status` says what
#      it learned and why, and act 3's failover is saved again (and, briefly,
#      lost without PermWatch).
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
  if declare -F node_stop >/dev/null; then  # act 4's nodes
    node_kill NODE1
    node_stop NODE2
  fi
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
# CTRL_C_EVENT for the console handler.
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
GOOD_DACL=$(wine "$ACTOR" get-dacl "$KEY" | tr -d '\r')  # as PermWatch repaired it

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
# failover_unguarded OUT: the group back on NODE2, the key as Setup left it
# and no PermWatch running, then the failover to this node; its exit code,
# its output in OUT. Act 5 plays it again.
failover_unguarded() {
  wine "$SIM" move-away --to NODE2 >/dev/null || return 2
  wine "$ACTOR" set-dacl "$KEY" "$SETUP_DACL" || return 2
  wine "$SIM" failover --to NODE1 --grace-ms 500 >"$1"
}
failover_unguarded "$DEMO/failover-lost.txt" && lost_rc=0 || lost_rc=$?
cat "$DEMO/failover-lost.txt"
wine "$SIM" teardown >/dev/null
[ "$lost_rc" -eq 1 ] || fail "the failover without PermWatch should have failed its restore"
echo "FAILOVER LOST: the restore failed (ClusSvc event 1024) and the resource stayed offline, as in KB Q192493"


say "act 4: the whole cluster at a glance - two simulated nodes, a pre-flight before the move"
# NODE1 is this prefix; NODE2 a second prefix with its own wineserver, so its
# own registry (made once under build/demo, 20-30 s). Both reach the same
# simulated cluster, whose database is where each node's PermWatch publishes
# its summary (scripts/cluster-nodes.sh, docs/testing.md (z)).
export PERMWATCH_NODES_DIR="$ROOT/build/demo"
export PERMWATCH_FAKES_BIN="$FAKES"
# shellcheck source=scripts/cluster-nodes.sh
. scripts/cluster-nodes.sh
node_start NODE1 "$WINEPREFIX" 2>/dev/null || fail "NODE1 could not be started"
node_start NODE2 2>/dev/null || fail "NODE2's prefix could not be started"
# Act 3's last failover left NODE1's key broken: both nodes start compliant.
node_wine NODE1 "$ACTOR" set-dacl "$KEY" "$GOOD_DACL" >/dev/null
node_wine NODE2 "$ACTOR" create-service MSExchangeSA "$ACCOUNT" >/dev/null
node_wine NODE2 "$ACTOR" create-service ClusSvc LocalSystem >/dev/null
node_wine NODE2 "$ACTOR" set-dacl "$KEY" "$GOOD_DACL" >/dev/null
# Both nodes run the shipped config with a 10 s sweep (a heartbeat is fresh
# for two sweeps, and one is published at most every 5 s); NODE2 in audit mode, so
# that what it finds stays visible until someone repairs it.
NODE2_DEMO="$(node_prefix NODE2)/drive_c/PermWatchDemo"
mkdir -p "$NODE2_DEMO"
sed -e 's/"sweep_interval_s": 60/"sweep_interval_s": 10/' \
    -e 's/"journal": "[^"]*"/"journal": "C:\\\\PermWatchDemo\\\\journal.jsonl"/' \
    config/permwatch.json > "$DEMO/cluster.json"
sed -e 's/"mode": "enforce"/"mode": "audit"/' "$DEMO/cluster.json" > "$NODE2_DEMO/cluster.json"
CFG='C:\PermWatchDemo\cluster.json'
node_wine NODE1 "$SIM" setup --node NODE1 --other-node NODE2 --group "Exchange Group" --owner NODE1 \
  --resource "Exchange Event Service" --checkpoint "$KEY" --account "$SA_SID" >/dev/null
node_wine NODE1 "$SIM" set-preferred --group "Exchange Group" --nodes NODE1,NODE2 | tr -d '\r'
node_spawn NODE1 "$DEMO/node1.log" "$PW" run --console --config "$CFG"
node_spawn NODE2 "$NODE2_DEMO/node2.log" "$PW" run --console --config "$CFG"

# check_cluster_until RC SECONDS: runs `check --cluster` on NODE1 until it exits RC.
check_cluster_until() {
  local i rc
  for ((i = 0; i < $2; i += 2)); do
    set +e
    node_wine NODE1 "$PW" check --cluster --group "Exchange Group" >"$DEMO/check.txt" 2>&1
    rc=$?
    set -e
    [ "$rc" -eq "$1" ] && return 0
    sleep 2
  done
  return 1
}
check_cluster_until 0 90 || { cat "$DEMO/check.txt"; fail "the cluster never became ready"; }
echo "both nodes publish their summary into the cluster database:"
node_wine NODE1 "$PW" status --cluster | tr -d '\r'

echo
echo "sabotage on the passive node NODE2 (its PermWatch is in audit mode):"
node_wine NODE2 "$ACTOR" set-dacl "$KEY" "$SETUP_DACL" >/dev/null
check_cluster_until 1 90 || { cat "$DEMO/check.txt"; fail "check --cluster did not see NODE2's drift"; }
echo "\$ permwatch check --cluster --group \"Exchange Group\"   (on NODE1, exit 1)"
tr -d '\r' <"$DEMO/check.txt"
grep -q "not ready: NODE2" "$DEMO/check.txt" || fail "check --cluster did not name NODE2"

echo
echo "PermWatch on NODE2 repairs the key:"
node_wine NODE2 "$PW" repair --config "$CFG" | tr -d '\r' || fail "repair on NODE2 failed"
check_cluster_until 0 90 || { cat "$DEMO/check.txt"; fail "the cluster is not ready after the repair"; }
echo "\$ permwatch check --cluster --group \"Exchange Group\"   (on NODE1, exit 0)"
tr -d '\r' <"$DEMO/check.txt"

echo
echo "the move: Exchange Group to NODE2 (ClusSvc restores the checkpoint there)"
set +e
node_wine NODE2 "$SIM" failover --to NODE2 --grace-ms 500 | tr -d '\r' | tee "$DEMO/move.txt"
move_rc=${PIPESTATUS[0]}
set -e
node_interrupt NODE1
node_interrupt NODE2
node_stop NODE2
[ "$move_rc" -eq 0 ] || fail "the move to NODE2 failed after check --cluster said ready"
echo "MOVE SUCCEEDED: the pre-flight said ready, and the restore on NODE2 succeeded"

say "act 5: zero configuration - \"keys\": \"auto\", and no word of Exchange in the config"
# Act 3's cluster again, in this prefix alone (act 4's shared state set aside),
# but the resource now says what it is: a Generic Service whose ServiceName is
# MSExchangeES. PermWatch is told neither the key nor an account: it must learn
# the key from the resource's checkpoint and the accounts from the SCM.
unset PERMWATCH_CLUSSIM_STATE
# MSExchangeES logs on as the Exchange service account (MSExchangeSA's, act
# 2). Its SCM entry is the key itself, and creating the service anew makes the
# key anew, so the service comes first and Setup's DACL after it.
wine "$ACTOR" create-service MSExchangeES "$ACCOUNT"
wine "$ACTOR" set-dacl "$KEY" "$SETUP_DACL"
wine "$SIM" teardown >/dev/null 2>&1 || true
# The checkpoint was saved on the active NODE2, where the key is as it should be.
wine "$SIM" setup --node NODE1 --other-node NODE2 --group "Exchange Group" --owner NODE2 \
  --resource "Exchange Event Service" --type "Generic Service" --service-name MSExchangeES \
  --checkpoint "$KEY" --restore-dacl "$GOOD_DACL" --account "$SA_SID" >/dev/null
echo "MSExchangeES logs on as $ACCOUNT; resource \"Exchange Event Service\": Generic Service, ServiceName MSExchangeES"
echo "key HKLM\\$KEY set as Setup left it: $(wine "$ACTOR" get-dacl "$KEY")"
# Only demo settings beside "auto": a 2 s sweep, the demo's journal, and a pipe
# of its own, so that `status` reaches this act's watchdog and no other.
AUTO_CFG='C:\PermWatchDemo\auto.json'
cat >"$DEMO/auto.json" <<'JSON'
{"version": 1, "keys": "auto",
 "sweep_interval_s": 2, "journal": "C:\\PermWatchDemo\\auto-journal.jsonl", "pipe": "permwatch-auto"}
JSON
echo "the whole config ($AUTO_CFG):"
cat "$DEMO/auto.json"
! grep -qiE 'exchange|S-1-|HKLM|SYSTEM' "$DEMO/auto.json" || fail "act 5's config names a key or an account"
LOG="$DEMO/auto.log"
set -m
wine "$PW" run --console --config "$AUTO_CFG" 2>"$LOG" &
WATCHDOG_PID=$!
set +m
wait_for 'status pipe' 1 20 || { cat "$LOG"; fail "PermWatch with \"keys\": \"auto\" did not start"; }
wait_for '\[2001\]' 1 10 || { cat "$LOG"; fail "PermWatch with \"keys\": \"auto\" did not repair the key"; }
grep -E 'learned from the cluster|\[2000\]|\[2001\]' "$LOG"
echo "key now: $(wine "$ACTOR" get-dacl "$KEY")"
echo
echo "\$ permwatch status --config $AUTO_CFG"
wine "$PW" status --config "$AUTO_CFG" | tr -d '\r' >"$DEMO/auto-status.txt" ||
  { cat "$DEMO/auto-status.txt"; fail "permwatch status failed"; }
cat "$DEMO/auto-status.txt"
for want in 'learned from the cluster:' 'resource Exchange Event Service, group Exchange Group' \
  'service_account_of:ClusSvc KEY_ALL_ACCESS (and subkeys): the Cluster service' \
  'service_account_of:MSExchangeES KEY_ALL_ACCESS (and subkeys): the logon account of service MSExchangeES'; do
  grep -qF -- "$want" "$DEMO/auto-status.txt" || fail "status lacks \"$want\""
done
echo
set +e
wine "$SIM" failover --to NODE1 --grace-ms 500 | tee "$DEMO/auto-saved.txt"
auto_saved_rc=${PIPESTATUS[0]}
set -e
wait_for '\[3000\]' 1 10 && grep -E '\[3000\]|\[3001\]' "$LOG" | head -n 2
kill -INT "$WATCHDOG_PID"; wait "$WATCHDOG_PID" 2>/dev/null || true; WATCHDOG_PID=""
[ "$auto_saved_rc" -eq 0 ] || fail "the failover with \"keys\": \"auto\" did not restore the checkpoint"
echo "FAILOVER SAVED: PermWatch learned the key and its accounts from the cluster and repaired it before the restore"
echo
echo "without PermWatch, the same failover (as in act 3):"
failover_unguarded "$DEMO/auto-lost.txt" && auto_lost_rc=0 || auto_lost_rc=$?
wine "$SIM" teardown >/dev/null
grep 'event 1024' "$DEMO/auto-lost.txt" || true
[ "$auto_lost_rc" -eq 1 ] || fail "act 5's failover without PermWatch should have failed its restore"
echo "FAILOVER LOST, as in KB Q192493"

printf '\nVERDICT: OK - key repaired at start and after sabotage (%s journaled repairs), failover saved with PermWatch and lost without it, the pre-flight named the drifted node and the move succeeded after its repair, and with "keys": "auto" alone PermWatch learned the key and its accounts from the cluster and saved the failover\n' "$repairs"
