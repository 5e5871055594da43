#!/usr/bin/env bash
# Probe (docs/testing.md (m)): what Wine's msiexec does with the declarative
# way to configure a service, the MsiServiceConfig and
# MsiServiceConfigFailureActions tables run by the MsiConfigureServices
# action. Installs <build>/installer/permwatch-msiserviceconfig-probe.msi (the
# product without its ConfigureService custom action, plus those rows:
# failure actions restart 5/10/60 s reset 1 day, the failure-actions flag,
# SID type unrestricted, SeChangeNotifyPrivilege, preshutdown 10 s), prints
# what the service's registry key and `sc qfailure` then say, and removes it.
# Needs the rig: run from scripts/probes.sh, or with the env sourced and
# rig_start done.
set -uo pipefail
B="${1:-build/windows-cross}"
MSI="$B/installer/permwatch-msiserviceconfig-probe.msi"
[ -f "$MSI" ] || { echo "[m] $MSI missing: build the msi target"; exit 1; }
WMSI="$(winepath -w "$MSI")"
KEY='HKLM\System\CurrentControlSet\Services\PermWatch'
wine msiexec /x "$WMSI" /qn >/dev/null 2>&1
WINEDEBUG=fixme+msi,err+msi wine msiexec /i "$WMSI" /qn 2>"$B/msi-probe.stderr"
echo "[m] msiexec /i (MsiServiceConfig rows, no custom action): exit $?"
grep -i "MsiConfigureServices\|MsiServiceConfig" "$B/msi-probe.stderr" | sed 's/^/[m] wine says: /' | head -5
echo "[m] the service's registry values:"
wine reg query "$KEY" 2>&1 | tr -d '\r' | grep -E 'REG_' | sed 's/^ */[m]   /'
echo "[m] sc qfailure PermWatch:"
wine sc qfailure PermWatch 2>&1 | tr -d '\r' | sed 's/^/[m]   /' | head -12
wine msiexec /x "$WMSI" /qn
echo "[m] msiexec /x: exit $?"
