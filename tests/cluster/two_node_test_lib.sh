# Sourced by the two-node tests (two_nodes_test.sh, cluster_view_test.sh)
# after they set ROOT and BUILD: the rig (scripts/wine-env.sh), the node
# helpers (scripts/cluster-nodes.sh, one Wine prefix per simulated node),
# TAP-style ok/not_ok that remember a failure in $failed, and
# start_both_nodes, which brings both prefixes up side by side.
# shellcheck shell=bash
# shellcheck disable=SC2034  # SIM and failed are for the test that sources this
export PERMWATCH_WINEPREFIX="$BUILD/wineprefix"  # not used: each node has its own
# shellcheck source=scripts/wine-env.sh
. "$ROOT/scripts/wine-env.sh"
export PERMWATCH_NODES_DIR="$BUILD"
export PERMWATCH_FAKES_BIN="$BUILD/tests/fakes/bin"
# shellcheck source=scripts/cluster-nodes.sh
. "$ROOT/scripts/cluster-nodes.sh"
SIM="$PERMWATCH_FAKES_BIN/clussim.exe"

failed=0
ok() { echo "ok - $1"; }
not_ok() {
  echo "not ok - $1: $2"
  failed=1
}

# Both node prefixes, started in parallel (20-30 s each the first time);
# sets t0, the test's start. Exits the test if a prefix does not start.
start_both_nodes() {
  local p1 p2
  t0=$(date +%s)
  node_start NODE1 &
  p1=$!
  node_start NODE2 &
  p2=$!
  wait "$p1" || { echo "not ok - NODE1's prefix did not start"; exit 1; }
  wait "$p2" || { echo "not ok - NODE2's prefix did not start"; exit 1; }
  echo "# both node prefixes up in $(($(date +%s) - t0)) s"
}
