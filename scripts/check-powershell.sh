#!/usr/bin/env bash
# The static check of installer/*.ps1 and the PermWatch module, run by hand:
# a second parser beside PowerShell's own (the Pester tests, docs/testing.md
# (ps), run the module under pwsh 7 where the .NET SDK is; this check needs
# only node). Not a ctest entry: on this loaded machine node
# printed its verdict and then did not exit (CPU busy, cause not found), so
# each run is cut after 60 s and judged by what it printed.
# Installs two pinned npm packages into DIR (default build/pscheck) the first
# time, with npm's --ignore-scripts (no install scripts, nothing compiled).
# Exit 0 clean, 1 a syntax error or no verdict, 77 when node/npm or the
# packages cannot be had.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${1:-$ROOT/build/pscheck}"
GRAMMAR=tree-sitter-powershell@0.26.4
RUNTIME=web-tree-sitter@0.26.13
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "check-powershell: node or npm not found; not checked"; exit 77
fi
if [ ! -f "$DIR/node_modules/tree-sitter-powershell/tree-sitter-powershell.wasm" ] ||
   [ ! -d "$DIR/node_modules/web-tree-sitter" ]; then
  mkdir -p "$DIR"
  if ! npm install --prefix "$DIR" --ignore-scripts --no-audit --no-fund --no-save \
         "$GRAMMAR" "$RUNTIME" >"$DIR/npm-install.log" 2>&1; then
    echo "check-powershell: npm install $GRAMMAR $RUNTIME failed (log: $DIR/npm-install.log); not checked"
    exit 77
  fi
fi
CHECK=(timeout 60 node "$ROOT/scripts/check_powershell.cjs" "$DIR/node_modules")
# The checker must be able to fail: a broken script is reported.
broken="$DIR/broken.ps1"
printf 'if ($x {\n  Write-Output 1\n' >"$broken"
"${CHECK[@]}" "$broken" >"$DIR/broken.out" 2>&1 || true
if ! grep -q "broken.ps1:1:1: syntax error" "$DIR/broken.out"; then
  echo "check-powershell: the checker did not report the broken script as it should:"
  cat "$DIR/broken.out"; exit 1
fi
FILES=("$ROOT"/installer/*.ps1 "$ROOT"/installer/PermWatch/*.psm1 "$ROOT"/installer/PermWatch/*.psd1)
"${CHECK[@]}" "${FILES[@]}" >"$DIR/check.out" 2>&1 || true
cat "$DIR/check.out"
for f in "${FILES[@]}"; do
  grep -qxF "$f: parsed, no syntax errors" "$DIR/check.out" || exit 1
done
