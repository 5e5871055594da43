# shellcheck shell=bash
# The Wine rig's environment: a private prefix under the build folder.
# Source it (test.sh, wine-run.sh, demo.sh). Set PERMWATCH_WINEPREFIX before
# sourcing to choose another prefix; the default is
# <repo>/build/windows-cross/wineprefix. An inherited WINEPREFIX (say ~/.wine)
# is deliberately ignored: the rig never touches a prefix it did not make.
# See docs/testing.md for why each variable is set.

_pw_rig_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

export WINEPREFIX="${PERMWATCH_WINEPREFIX:-$_pw_rig_root/build/windows-cross/wineprefix}"
export WINEARCH=win64
export WINEDEBUG="${WINEDEBUG:--all}"
# No Mono/Gecko installer dialogs on first boot. Extra overrides given by the
# caller (e.g. clusapi=n) are kept after ours.
case "${WINEDLLOVERRIDES:-}" in
  *mscoree,mshtml=*) ;;
  "") export WINEDLLOVERRIDES="mscoree,mshtml=" ;;
  *) export WINEDLLOVERRIDES="mscoree,mshtml=;${WINEDLLOVERRIDES}" ;;
esac
# No X display is needed; keep Wine from trying one.
unset DISPLAY WAYLAND_DISPLAY

# rig_start: create the prefix folder, start a persistent wineserver for it and
# initialise the prefix once (the first time this runs wineboot: seconds).
rig_start() {
  mkdir -p "$WINEPREFIX"          # wineserver -p fails if the folder is missing
  local rc=0
  wineserver -p 2>/dev/null || rc=$?
  case $rc in
    0) ;;
    2) echo "rig: a wineserver is already running for $WINEPREFIX; using it" >&2 ;;
    *) echo "rig: wineserver -p failed ($rc) for $WINEPREFIX" >&2; return 1 ;;
  esac
  # Creates and updates the prefix (wineboot) the first time: seconds, not ms.
  wine cmd /c exit 2> >(grep -v "could not open working directory" >&2) || return 1
}

# rig_stop: kill this prefix's wineserver and every Wine process in it.
rig_stop() {
  if [ -d "$WINEPREFIX" ]; then
    wineserver -k 2>/dev/null || true
    wineserver -w 2>/dev/null || true
  fi
}
