#!/usr/bin/env bash
# Builds and runs the Wine probes (tests/probes) in the rig and prints what
# they measured; docs/testing.md records the results. Run after test.sh (or
# after `cmake --preset windows-cross`).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
B=build/windows-cross
[ -f $B/build.ninja ] || cmake --preset windows-cross >/dev/null
cmake --build $B -j2 --target probe_start probe_registry_security probe_notify probe_accounts probe_persist \
  probe_file_security probe_dll_search fake_clusapi fake_clusapi_v1 \
  probe_pipe_identity probe_registry_link probe_cross_prefix_lock probe_regsync \
  probe_call_costs probe_held_handle probe_file_handle \
  probe_ace_types probe_account_groups probe_text_conversion
P=$B/tests/probes
export PERMWATCH_WINEPREFIX="$ROOT/$B/wineprefix"
# shellcheck source=scripts/wine-env.sh
. scripts/wine-env.sh
trap rig_stop EXIT
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

rig_stop
t0=$(date +%s.%N); rig_start; t1=$(date +%s.%N)
echo "[a] rig_start (wineserver -p + wine cmd /c exit): $(secs "$t0" "$t1") s"
t0=$(date +%s.%N); for _ in 1 2 3 4 5 6 7 8 9 10; do wine $P/probe_start.exe; done; t1=$(date +%s.%N)
echo "[a] 10 x wine probe_start.exe, persistent server: $(secs "$t0" "$t1") s"
rig_stop
t0=$(date +%s.%N); wine $P/probe_start.exe; t1=$(date +%s.%N)
echo "[a] 1 x wine probe_start.exe, no server running: $(secs "$t0" "$t1") s"
rig_stop
rig_start

wine $P/probe_registry_security.exe
wine $P/probe_notify.exe
wine $P/probe_accounts.exe
wine $P/probe_account_groups.exe
wine $P/probe_ace_types.exe
wine $P/probe_text_conversion.exe
wine $P/probe_pipe_identity.exe
wine $P/probe_registry_link.exe
wine $P/probe_regsync.exe
wine $P/probe_call_costs.exe
wine $P/probe_held_handle.exe
wine $P/probe_journal_lock.exe 'C:\users\Public\permwatch-probe-journal.lock'
wine $P/probe_token_facts.exe
wine $P/probe_persist.exe write
echo "[f] next process, same persistent wineserver:"
wine $P/probe_persist.exe read
rig_stop
rig_start
echo "[f] after wineserver -k and a new wineserver -p:"
wine $P/probe_persist.exe read

# (x) file and folder security; the read-back after a wineserver restart.
wine $P/probe_file_security.exe
rig_stop
rig_start
echo "[x] after wineserver -k and a new wineserver -p:"
wine $P/probe_file_security.exe read 'C:\ProgramData\PermWatchProbe'

# (x2) judging through one handle; a Unix symlink to a file and to a folder
# stand in for a Windows link (Wine 8 makes no junction).
D="$WINEPREFIX/drive_c"
mkdir -p "$D/pwprobe_real" && echo '{}' >"$D/pwprobe_real/target.json"
ln -sfn pwprobe_real/target.json "$D/pwprobe_link.json"
ln -sfn pwprobe_real "$D/pwprobe_dirlink"
wine $P/probe_file_handle.exe 'C:\pwprobe_link.json' 'C:\pwprobe_dirlink' 'C:\pwprobe_dirlink\target.json'
rm -rf "$D/pwprobe_real" "$D/pwprobe_link.json" "$D/pwprobe_dirlink"

# (y) where LoadLibraryExW(SEARCH_SYSTEM32) finds clusapi.dll: a fake planted
# beside the exe, then the fake in System32 (Wine's file is put back after).
SYS32="$WINEPREFIX/drive_c/windows/system32"
FAKES=$B/tests/fakes/bin
echo "[y] nothing planted, no override:"
wine $P/probe_dll_search.exe
cp $FAKES/clusapi.dll $P/clusapi.dll
echo "[y] the fake planted beside the exe, clusapi=n:"
WINEDLLOVERRIDES="$WINEDLLOVERRIDES;clusapi=n" wine $P/probe_dll_search.exe
rm -f $P/clusapi.dll
cp "$SYS32/clusapi.dll" "$SYS32/clusapi.dll.probe-saved"
cp $FAKES/clusapi.dll "$SYS32/clusapi.dll"
cp $FAKES/clusapi_v1/clusapi.dll "$SYS32/clusapi_v1.dll"
echo "[y] the fake in System32, clusapi=n:"
WINEDLLOVERRIDES="$WINEDLLOVERRIDES;clusapi=n" wine $P/probe_dll_search.exe
echo "[y] the fake in System32, no override:"
wine $P/probe_dll_search.exe
mv -f "$SYS32/clusapi.dll.probe-saved" "$SYS32/clusapi.dll"
rm -f "$SYS32/clusapi_v1.dll"

# (z) What serialises processes under two wineservers (two prefixes, two
# simulated nodes): the second prefix is cluster_two_nodes' NODE2 prefix.
P2="$ROOT/$B/wineprefix-node2"
mkdir -p "$P2"
WINEPREFIX=$P2 wineserver -p 2>/dev/null || true
WINEPREFIX=$P2 wine cmd /c exit 2>/dev/null || true
LOCKF="Z:$(printf '%s' "$ROOT/$B/probe-cross-prefix.lock" | tr '/' '\\')"
wine $P/probe_cross_prefix_lock.exe hold "$LOCKF" 4000 &
sleep 1.5
WINEPREFIX=$P2 wine $P/probe_cross_prefix_lock.exe try "$LOCKF"
WINEPREFIX=$P2 wine $P/probe_cross_prefix_lock.exe poll "$LOCKF"
wait
wine $P/probe_cross_prefix_lock.exe hold "$LOCKF" 3000 &
sleep 1.5
WINEPREFIX=$P2 timeout 30 wine $P/probe_cross_prefix_lock.exe wait "$LOCKF"
wait
echo "[z] the same, both in the rig's prefix:"
wine $P/probe_cross_prefix_lock.exe hold "$LOCKF" 2000 &
sleep 1.5
wine $P/probe_cross_prefix_lock.exe try "$LOCKF"
wait
WINEPREFIX=$P2 wineserver -k 2>/dev/null || true

# (m) MsiServiceConfig* rows under Wine's msiexec (the msi target builds the probe MSI).
cmake --build $B -j2 --target msi >/dev/null
bash tests/probes/msi_service_config.sh $B
