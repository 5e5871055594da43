#!/usr/bin/env bash
# The whole cluster at a glance, end to end: two simulated
# nodes, each a Wine prefix of its own with its own registry, each running
# the real permwatch.exe (`run --console`), both publishing their summary
# into the simulated cluster's database (the fake clusapi.dll stands in for
# the Cluster service, which Wine cannot run: tests/fakes,
# scripts/cluster-nodes.sh). From NODE1, `check --cluster` and
# `status --cluster` read both summaries, as an administrator would before a
# move.
#   cluster_view_test.sh BUILD_DIR      (the ctest entry cluster_view_two_nodes)
# Prints "ok - NAME" or "not ok - NAME: why" per case; exit 1 if any failed.
# Waits are polls with wide bounds (90 s): the machine is shared and a Wine
# start takes 1-2 s under load; a summary is published at most every 5 s.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$(cd "${1:?usage: cluster_view_test.sh BUILD_DIR}" && pwd)"
# shellcheck source=tests/cluster/two_node_test_lib.sh
. "$ROOT/tests/cluster/two_node_test_lib.sh"
PW="$BUILD/service/permwatch.exe"
ACTOR="$BUILD/tests/demo_actor.exe"
KEY='SOFTWARE\PermWatchClusterView\App'
GOOD='D:(A;CI;KA;;;SY)(A;CI;KR;;;BU)'
BROKEN='D:(A;CI;KR;;;BU)(A;CI;KA;;;BA)'
KEY_JSON='SOFTWARE\\PermWatchClusterView\\App'  # the same, as a JSON string's text
CFG='C:\PermWatchClusterView\permwatch.json'

cleanup() {
  node_interrupt NODE1
  node_interrupt NODE2
  node_wine NODE1 "$SIM" teardown >/dev/null 2>&1 || true
  for n in NODE1 NODE2; do
    node_wine $n reg delete 'HKLM\SOFTWARE\PermWatchClusterView' /f >/dev/null 2>&1 || true
    node_stop $n
  done
}
trap cleanup EXIT

start_both_nodes

# Each node: the key with a good DACL, and a config with a 10 s sweep (a
# heartbeat is fresh for two sweeps). NODE2 audits: what it finds stays.
for n in NODE1 NODE2; do
  mode=enforce
  [ $n = NODE2 ] && mode=audit
  dir="$(node_prefix $n)/drive_c/PermWatchClusterView"
  rm -rf "$dir" && mkdir -p "$dir"
  cat >"$dir/permwatch.json" <<EOF
{ "version": 1, "mode": "$mode", "sweep_interval_s": 10,
  "journal": "C:\\\\PermWatchClusterView\\\\journal.jsonl",
  "keys": [ { "path": "HKLM\\\\$KEY_JSON", "checkpoint": "auto",
              "require": [ { "principal": "S-1-5-18", "rights": ["KEY_ALL_ACCESS"],
                             "inherit": ["container"] } ] } ] }
EOF
  node_wine $n "$ACTOR" set-dacl "$KEY" "$GOOD" >/dev/null 2>&1 ||
    { echo "not ok - could not set the key on $n"; exit 1; }
done
node_wine NODE1 "$SIM" setup --node NODE1 --other-node NODE2 --group "App Group" --owner NODE1 \
  --resource "App" --checkpoint "$KEY" >/dev/null 2>&1 || { echo "not ok - clussim setup"; exit 1; }
node_wine NODE1 "$SIM" set-preferred --group "App Group" --nodes NODE1,NODE2 >/dev/null 2>&1

LOG1="$BUILD/cluster-view-node1.log"
LOG2="$BUILD/cluster-view-node2.log"
node_spawn NODE1 "$LOG1" "$PW" run --console --config "$CFG"
node_spawn NODE2 "$LOG2" "$PW" run --console --config "$CFG"

# until_check NODE RC SECONDS [ARGS...]: `check --cluster ARGS` on NODE until it
# exits RC; its output is in $CHECK_OUT.
CHECK_OUT=""
until_check() {
  local node=$1 want=$2 secs=$3 start rc
  shift 3
  start=$(date +%s)
  while :; do
    CHECK_OUT=$(node_wine "$node" "$PW" check --cluster "$@" 2>&1 | tr -d '\r')
    rc=$?  # pipefail: permwatch's code
    [ "$rc" -eq "$want" ] && return 0
    [ $(($(date +%s) - start)) -ge "$secs" ] && { CHECK_OUT="(exit $rc) $CHECK_OUT"; return 1; }
    sleep 2
  done
}
# expect_not_ready NODE PATTERN...: `check --cluster --group "App Group"` on
# NODE exits 1 within 90 s and its output matches each PATTERN (grep -E;
# "i:PATTERN" ignores case, "!PATTERN" must not match); reports the test
# named $name.
expect_not_ready() {
  local node=$1 p re flags
  shift
  if ! until_check "$node" 1 90 --group "App Group"; then
    not_ok "$name" "$CHECK_OUT$(logs)"
    return
  fi
  for p in "$@"; do
    re=${p#!}
    flags=-qE
    if [ "$re" != "${re#i:}" ]; then re=${re#i:} flags=-qiE; fi
    if [ "$p" != "${p#!}" ]; then
      grep "$flags" "$re" <<<"$CHECK_OUT" || continue
    else
      ! grep "$flags" "$re" <<<"$CHECK_OUT" || continue
    fi
    not_ok "$name" "output against /$p/: $CHECK_OUT$(logs)"
    return
  done
  ok "$name"
}
logs() { printf '\n--- NODE1 log:\n%s\n--- NODE2 log:\n%s\n' "$(tail -n 15 "$LOG1")" "$(tail -n 15 "$LOG2")"; }

name="both nodes compliant and running: check --cluster exits 0"
if until_check NODE1 0 90 --group "App Group"; then ok "$name"; else not_ok "$name" "$CHECK_OUT$(logs)"; fi

name="status --cluster shows both nodes running"
st=$(node_wine NODE1 "$PW" status --cluster 2>&1 | tr -d '\r')
rc=$?
if [ "$rc" -eq 0 ] && grep -q "NODE1.*running" <<<"$st" && grep -q "NODE2.*running" <<<"$st"; then
  ok "$name"
else
  not_ok "$name" "(exit $rc) $st"
fi

name="the key drifted on NODE2: check --cluster exits 1 and names NODE2, the key and drift"
node_wine NODE2 "$ACTOR" set-dacl "$KEY" "$BROKEN" >/dev/null 2>&1
expect_not_ready NODE1 "not ready: NODE2" "i:PermWatchClusterView" "i:drift" "!not ready:.*NODE1"

name="--json says the same: ready false, NODE2 drift"
js=$(node_wine NODE1 "$PW" check --cluster --group "App Group" --json 2>&1 | tr -d '\r')
rc=$?
if [ "$rc" -eq 1 ] && grep -q '"ready": *false' <<<"$js" && grep -q '"node": *"NODE2"' <<<"$js" &&
  grep -q '"reason": *"drift"' <<<"$js"; then
  ok "$name"
else
  not_ok "$name" "(exit $rc) $js"
fi

name="after PermWatch on NODE2 repairs it, check --cluster exits 0"
rep=$(node_wine NODE2 "$PW" repair --config "$CFG" 2>&1 | tr -d '\r')
if until_check NODE1 0 90 --group "App Group"; then ok "$name"; else
  not_ok "$name" "repair said: $rep; check: $CHECK_OUT$(logs)"
fi

# `init`: an explicit config written from the simulated cluster's checkpoints.
# The Cluster service's account comes from the SCM, as on a node.
node_wine NODE1 "$ACTOR" create-service ClusSvc LocalSystem >/dev/null 2>&1
INIT_WIN='C:\PermWatchClusterView\init.json'
AUTO_WIN='C:\PermWatchClusterView\auto.json'
dir1="$(node_prefix NODE1)/drive_c/PermWatchClusterView"

name="init writes the checkpoint with its resource, group and the cluster account"
rm -f "$dir1/init.json"
got=$(node_wine NODE1 "$PW" init 2>&1 | tr -d '\r')
rc=$?
if [ "$rc" -eq 0 ] && grep -q "resource App in group App Group" <<<"$got" &&
  grep -q '"service_account_of": "ClusSvc"' <<<"$got" && grep -qi "PermWatchClusterView" <<<"$got"; then
  ok "$name"
else
  not_ok "$name" "(exit $rc) $got"
fi

name="init --out writes a config that validates; a second --out refuses without --force"
w1=$(node_wine NODE1 "$PW" init --out "$INIT_WIN" 2>&1 | tr -d '\r')
rc1=$?
v=$(node_wine NODE1 "$PW" validate --config "$INIT_WIN" 2>&1 | tr -d '\r')
rcv=$?
w2=$(node_wine NODE1 "$PW" init --out "$INIT_WIN" 2>&1 | tr -d '\r')
rc2=$?
w3=$(node_wine NODE1 "$PW" init --out "$INIT_WIN" --force 2>&1 | tr -d '\r')
rc3=$?
if [ "$rc1" -eq 0 ] && [ "$rcv" -eq 0 ] && [ "$rc2" -eq 2 ] && grep -q "exists; --force" <<<"$w2" &&
  [ "$rc3" -eq 0 ]; then
  ok "$name"
else
  not_ok "$name" "first (exit $rc1) $w1; validate (exit $rcv) $v; second (exit $rc2) $w2; forced (exit $rc3) $w3"
fi

name='init'"'"'s config and "keys": "auto" make the same check of the same key'
printf '%s\n' '{ "version": 1, "journal": "C:\\PermWatchClusterView\\journal.jsonl", "keys": "auto" }' \
  >"$dir1/auto.json"
a=$(node_wine NODE1 "$PW" check --json --config "$AUTO_WIN" 2>/dev/null | tr -d '\r')
rca=$?
b=$(node_wine NODE1 "$PW" check --json --config "$INIT_WIN" 2>/dev/null | tr -d '\r')
rcb=$?
if [ "$rca" -eq 0 ] && [ "$rcb" -eq 0 ] && [ -n "$a" ] && [ "$a" = "$b" ] &&
  grep -qi "PermWatchClusterView" <<<"$a"; then
  ok "$name"
else
  not_ok "$name" "auto (exit $rca): $a; init (exit $rcb): $b"
fi

name="NODE2's PermWatch killed: its heartbeat goes stale and check --cluster names it"
node_kill NODE2
expect_not_ready NODE1 "not ready: NODE2" "i:stale"

name="status --cluster shows NODE2 stale"
st=$(node_wine NODE1 "$PW" status --cluster 2>&1 | tr -d '\r')
if grep -q "NODE2.*stale" <<<"$st"; then ok "$name"; else not_ok "$name" "$st"; fi

name="NODE1 stopped cleanly: NODE2 sees it as stopped, not ready"
node_interrupt NODE1
expect_not_ready NODE2 "NODE1" "i:not running|stopped"

echo "# done in $(($(date +%s) - t0)) s"
exit $failed
