#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with ASan+UBSan and runs each for a
# bounded time. Not part of ctest: run it by hand or in a nightly job.
#   FUZZ_SECONDS=60 (per target)   FUZZ_OUT=build/fuzz   CXX=clang++
# Usage: scripts/fuzz.sh [target...]   (targets: sddl config; default both)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${FUZZ_SECONDS:-60}"
out="${FUZZ_OUT:-$root/build/fuzz}"
cxx="${CXX:-clang++}"
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(sddl config)

mkdir -p "$out"
cd "$root"
shopt -s nullglob
core_sources=(core/*/*.cpp)
# nlohmann/json is header-only: /usr/include (Debian) is searched by default;
# never pass it as -isystem, that breaks libstdc++'s #include_next.
json_include=()
for d in /usr/local/include; do
    [ -f "$d/nlohmann/json.hpp" ] && json_include=(-isystem "$d") && break
done

status=0
for t in "${targets[@]}"; do
    src="fuzz/${t}_fuzz.cpp"
    [ -f "$src" ] || { echo "fuzz.sh: no target $src" >&2; exit 2; }
    bin="$out/${t}_fuzz"
    mkdir -p "$out"  # again: other jobs may clean build/ meanwhile
    echo "== building $bin"
    "$cxx" -std=c++20 -O1 -g -fno-omit-frame-pointer \
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -DPERMWATCH_VERSION='"fuzz"' -I. "${json_include[@]}" \
        "$src" "${core_sources[@]}" -o "$bin"
    # The seed corpus stays read-only in the tree; new inputs go to $out.
    work="$out/corpus-$t"
    mkdir -p "$work"
    echo "== running $t for ${seconds}s"
    if ! "$bin" -max_total_time="$seconds" -timeout=10 -max_len=4096 \
            -artifact_prefix="$out/$t-" "$work" "fuzz/corpus/$t"; then
        echo "fuzz.sh: $t found a problem; see $out/$t-*" >&2
        status=1
    fi
done
exit $status
