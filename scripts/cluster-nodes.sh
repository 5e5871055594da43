# shellcheck shell=bash
# Several simulated cluster nodes under Wine, one prefix per node. Source it
# (tests/cluster/two_nodes_test.sh, scripts/demo.sh) after scripts/wine-env.sh.
#
# Why a prefix per node: each prefix has its own wineserver, so its own
# registry - the checkpointed keys of NODE1 and NODE2 are two different keys,
# as on two machines. What the nodes share is the simulated cluster: the
# state file of the fake clusapi.dll and clussim.exe (with the replicated
# cluster database), a Linux file every prefix reaches as Z:\... through
# $PERMWATCH_CLUSSIM_STATE. Named objects are not shared between wineservers;
# a file lock is (docs/testing.md (z)), so the state is guarded by one.
# Which node a process is comes from $PERMWATCH_CLUSSIM_NODE, read by the
# FAKE only (tests/fakes/clusapi/clussim_state.hpp); PermWatch itself gains
# no variable: it loads the fake from each prefix's System32, as on Windows.
#
#   node_start NODE [PREFIX]   start (and the first time create) NODE's prefix,
#                              put the fake clusapi.dll in its System32
#   node_wine NODE ARGS...     run `wine ARGS...` as NODE
#   node_spawn NODE LOG ARGS...  the same in the background, stderr to LOG;
#                              the pid is in NODE_PID[NODE]
#   node_interrupt NODE        Ctrl+C to the spawned process, wait for it (10 s)
#   node_kill NODE             kill the spawned process (no clean stop)
#   node_stop NODE             kill NODE's wineserver and every process in it
#
# PERMWATCH_NODES_DIR (default <repo>/build/windows-cross) holds the node
# prefixes (wineprefix-node1, ...) and the shared state file.

_pw_nodes_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${PERMWATCH_NODES_DIR:=$_pw_nodes_repo/build/windows-cross}"
: "${PERMWATCH_FAKES_BIN:=$PERMWATCH_NODES_DIR/tests/fakes/bin}"
declare -gA NODE_PREFIX=()
declare -gA NODE_PID=()

# A Linux path as Wine's Z: drive names it.
node_winpath() { printf 'Z:%s' "$1" | tr '/' '\\'; }

PERMWATCH_NODES_STATE="$PERMWATCH_NODES_DIR/clussim-nodes.state"
PERMWATCH_CLUSSIM_STATE="$(node_winpath "$PERMWATCH_NODES_STATE")"
export PERMWATCH_CLUSSIM_STATE

node_prefix() {
  local lower
  lower=$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]')
  printf '%s' "${NODE_PREFIX[$1]:-$PERMWATCH_NODES_DIR/wineprefix-$lower}"
}

node_start() {
  local node=$1 prefix
  [ -n "${2:-}" ] && NODE_PREFIX[$node]=$2
  prefix=$(node_prefix "$node")
  mkdir -p "$prefix"  # wineserver -p fails if the folder is missing
  local rc=0
  WINEPREFIX=$prefix wineserver -p 2>/dev/null || rc=$?
  case $rc in
    0 | 2) ;;  # 2: one already runs for this prefix
    *) echo "cluster-nodes: wineserver -p failed ($rc) for $prefix" >&2; return 1 ;;
  esac
  # The first time this creates the prefix (wineboot): 20-30 s on a busy machine.
  WINEPREFIX=$prefix wine cmd /c exit 2> >(grep -v "could not open working directory" >&2) ||
    return 1
  # The fake goes where PermWatch loads clusapi.dll from (System32 only);
  # Wine's own file is kept aside once, for whoever needs it back.
  local sys32="$prefix/drive_c/windows/system32"
  [ -f "$sys32/clusapi.dll.wine" ] || cp "$sys32/clusapi.dll" "$sys32/clusapi.dll.wine"
  cp "$PERMWATCH_FAKES_BIN/clusapi.dll" "$sys32/clusapi.dll"
}

node_wine() {
  local node=$1
  shift
  WINEPREFIX=$(node_prefix "$node") PERMWATCH_CLUSSIM_NODE=$node \
    WINEDLLOVERRIDES="mscoree,mshtml=;clusapi=n" wine "$@"
}

# Job control (set -m): the background process keeps SIGINT, which Wine turns
# into CTRL_C_EVENT (docs/testing.md), so node_interrupt is a clean Ctrl+C.
node_spawn() {
  local node=$1 log=$2 prefix
  shift 2
  prefix=$(node_prefix "$node")
  set -m
  WINEPREFIX=$prefix PERMWATCH_CLUSSIM_NODE=$node WINEDLLOVERRIDES="mscoree,mshtml=;clusapi=n" \
    wine "$@" 2>"$log" &
  NODE_PID[$node]=$!
  set +m
}

node_interrupt() {
  local pid=${NODE_PID[$1]:-} i
  [ -n "$pid" ] || return 0
  kill -INT "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null && echo "cluster-nodes: $1 did not stop on Ctrl+C; killed" >&2
  wait "$pid" 2>/dev/null || true
  NODE_PID[$1]=""
}

node_kill() {
  local pid=${NODE_PID[$1]:-}
  [ -n "$pid" ] || return 0
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  NODE_PID[$1]=""
}

node_stop() {
  local prefix
  prefix=$(node_prefix "$1")
  node_kill "$1"
  [ -d "$prefix" ] || return 0
  WINEPREFIX=$prefix wineserver -k 2>/dev/null || true
  WINEPREFIX=$prefix wineserver -w 2>/dev/null || true
}
