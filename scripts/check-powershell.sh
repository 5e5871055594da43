#!/usr/bin/env bash
# The static check of installer/*.ps1 (ctest entry powershell_syntax, native
# preset): PowerShell cannot run on these Linux machines, so the deploy
# script is parsed, not executed (docs/testing.md, "The deploy script").
# Installs two pinned npm packages into DIR (default build/pscheck) the first
# time, with npm's --ignore-scripts (no install scripts, nothing compiled).
# Exit 0 clean, 1 a syntax error, 77 (ctest: skipped) when node/npm or the
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
CHECK=(node "$ROOT/scripts/check_powershell.cjs" "$DIR/node_modules")
# The checker must be able to fail: a broken script is reported.
broken="$DIR/broken.ps1"
printf 'if ($x {\n  Write-Output 1\n' >"$broken"
if "${CHECK[@]}" "$broken" >"$DIR/broken.out" 2>&1 || ! grep -q "broken.ps1:1:1: syntax error" "$DIR/broken.out"; then
  echo "check-powershell: the checker did not report the broken script as it should:"
  cat "$DIR/broken.out"; exit 1
fi
"${CHECK[@]}" "$ROOT"/installer/*.ps1
