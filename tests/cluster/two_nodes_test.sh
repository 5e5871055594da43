#!/usr/bin/env bash
# Two simulated cluster nodes, each a Wine prefix of its own (its own
# wineserver and registry), sharing the simulated cluster's state file
# (scripts/cluster-nodes.sh). The fake clusapi.dll and clussim.exe stand in
# for the Cluster service, which Wine cannot run (tests/fakes); what is shown
# here is what the fake must give PermWatch on two machines: the cluster
# database replicated between nodes, owners and node states seen alike from
# every node, each node's registry its own.
#   two_nodes_test.sh BUILD_DIR      (the ctest entry cluster_two_nodes)
# Prints "ok - NAME" or "not ok - NAME: why" per case; exit 1 if any failed.
# The node prefixes are made once (20-30 s each, in parallel) and reused.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$(cd "${1:?usage: two_nodes_test.sh BUILD_DIR}" && pwd)"
# shellcheck source=tests/cluster/two_node_test_lib.sh
. "$ROOT/tests/cluster/two_node_test_lib.sh"
WORK="$BUILD/two-nodes"
mkdir -p "$WORK"
# The output of a command, with Wine's CRs removed.
out() { "$@" 2>&1 | tr -d '\r'; }

cleanup() {
  node_wine NODE1 "$SIM" teardown >/dev/null 2>&1 || true
  node_stop NODE1
  node_stop NODE2
}
trap cleanup EXIT

start_both_nodes

setup_cluster() {
  local r
  r=$(out node_wine NODE1 "$SIM" setup --node NODE1 --other-node NODE2 --group "SQL Group" \
    --owner NODE1 --resource "SQL Server" --checkpoint 'SOFTWARE\PermWatchNodeTest')
  [ $? -eq 0 ] || { echo "$r"; return 1; }
}
setup_cluster || { echo "not ok - clussim setup"; exit 1; }

# --- each process knows which node it is -------------------------------
name="each prefix is the node its variable names"
s1=$(out node_wine NODE1 "$SIM" status | head -n 1)
s2=$(out node_wine NODE2 "$SIM" status | head -n 1)
if [[ $s1 == *"this node NODE1"* && $s2 == *"this node NODE2"* ]]; then ok "$name"; else
  not_ok "$name" "NODE1 said '$s1', NODE2 said '$s2'"
fi

# --- each node has its own registry ------------------------------------
name="a key made in NODE2's registry is not in NODE1's"
node_wine NODE1 reg delete 'HKLM\SOFTWARE\PermWatchNodeTest' /f >/dev/null 2>&1
node_wine NODE2 reg add 'HKLM\SOFTWARE\PermWatchNodeTest' /f >/dev/null 2>&1
if node_wine NODE2 reg query 'HKLM\SOFTWARE\PermWatchNodeTest' >/dev/null 2>&1 &&
  ! node_wine NODE1 reg query 'HKLM\SOFTWARE\PermWatchNodeTest' >/dev/null 2>&1; then
  ok "$name"
else
  not_ok "$name" "reg query saw the same registry on both nodes"
fi
node_wine NODE2 reg delete 'HKLM\SOFTWARE\PermWatchNodeTest' /f >/dev/null 2>&1

# --- the cluster database is replicated ---------------------------------
name="a value written through the fake's ClusterReg* on NODE1 is read on NODE2"
summary='{"version":1,"node":"NODE1","keys":[]}'
w=$(out node_wine NODE1 "$SIM" db-set --key 'PermWatch\Nodes\NODE1' --value Summary --text "$summary")
r=$(out node_wine NODE2 "$SIM" db-get --key 'PermWatch\Nodes\NODE1' --value Summary)
if [[ $r == *"= REG_SZ $summary" ]]; then ok "$name"; else not_ok "$name" "wrote: $w; read: $r"; fi

name="and one written on NODE2 (REG_BINARY) is read on NODE1"
w=$(out node_wine NODE2 "$SIM" db-set --key 'PermWatch\Nodes\NODE2' --value Summary --text '{"n":2}' \
  --type binary)
r=$(out node_wine NODE1 "$SIM" db-get --key 'PermWatch\Nodes\NODE2' --value Summary)
if [[ $r == *'= type 3, 7 bytes: {"n":2}' ]]; then ok "$name"; else not_ok "$name" "wrote: $w; read: $r"; fi

name="a value deleted on NODE2 is gone on NODE1"
node_wine NODE2 "$SIM" db-delete --key 'PermWatch\Nodes\NODE1' --value Summary >/dev/null 2>&1
r=$(out node_wine NODE1 "$SIM" db-get --key 'PermWatch\Nodes\NODE1' --value Summary)
rc=$?
if [[ $r == *"no value"* ]]; then ok "$name"; else not_ok "$name" "read: $r (rc $rc)"; fi

# Both nodes make keys at once: each new key takes a free slot of the shared
# database under the cross-prefix file lock; without it two nodes could take
# the same slot and one key would be lost.
name="keys made at once from both nodes are all there"
for i in 1 2 3 4 5 6; do
  node_wine NODE1 "$SIM" db-set --key "Race\\A$i" --value v --text "a$i" >/dev/null 2>&1
done &
ra=$!
for i in 1 2 3 4 5 6; do
  node_wine NODE2 "$SIM" db-set --key "Race\\B$i" --value v --text "b$i" >/dev/null 2>&1
done &
rb=$!
wait $ra $rb
dump=$(out node_wine NODE1 "$SIM" db-dump --key Race)
missing=""
for i in 1 2 3 4 5 6; do
  grep -q "^clussim: \[Race\\\\A$i\]" <<<"$dump" || missing+=" A$i"
  grep -q "^clussim: \[Race\\\\B$i\]" <<<"$dump" || missing+=" B$i"
  grep -q "v = REG_SZ a$i\$" <<<"$dump" || missing+=" a$i"
  grep -q "v = REG_SZ b$i\$" <<<"$dump" || missing+=" b$i"
done
if [ -z "$missing" ]; then ok "$name"; else not_ok "$name" "missing:$missing; dump: $dump"; fi

# --- owners and node state: set from one node, seen from the other -------
name="owners and node state set from NODE2 are what NODE1 sees"
node_wine NODE2 "$SIM" set-preferred --group "SQL Group" --nodes NODE2,NODE1 >/dev/null 2>&1
node_wine NODE2 "$SIM" set-possible --resource "SQL Server" --nodes NODE1,NODE2 >/dev/null 2>&1
node_wine NODE2 "$SIM" node-down --node NODE2 --grace-ms 0 >/dev/null 2>&1
st=$(out node_wine NODE1 "$SIM" status)
if grep -q "group 'SQL Group' preferred owners: NODE2, NODE1" <<<"$st" &&
  grep -q "resource 'SQL Server' possible owners: NODE1, NODE2" <<<"$st" &&
  grep -q "node NODE2 (id 2) down" <<<"$st"; then
  ok "$name"
else
  not_ok "$name" "$st"
fi
node_wine NODE1 "$SIM" node-up --node NODE2 >/dev/null 2>&1

echo "# done in $(($(date +%s) - t0)) s"
exit $failed
