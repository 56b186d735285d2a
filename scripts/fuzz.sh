#!/usr/bin/env bash
# Build the libFuzzer targets (tests/fuzz/fuzz_*.c) with clang into build-fuzz/ and run each on
# its seed corpus tests/fuzz/corpus/<name>/ for a bounded time. New inputs go to
# build-fuzz/corpus-<target>/ (the repo corpus stays as is); a crash leaves its input in
# build-fuzz/crash-<target>-* and fails the script.
# Usage: scripts/fuzz.sh [-t SECONDS_PER_TARGET] [TARGET...]     (default 30 s, all targets)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${ARUS_FUZZ_BUILD_DIR:-$root/build-fuzz}
secs=30
if [ "${1:-}" = "-t" ]; then
    secs=$2
    shift 2
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for src in "$root"/tests/fuzz/fuzz_*.c; do
        targets+=("$(basename "$src" .c)")
    done
fi

command -v clang >/dev/null || { echo "fuzz.sh: clang is required" >&2; exit 2; }
CC=clang cmake -S "$root" -B "$build" -DARUS_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 --target "${targets[@]}"

status=0
for t in "${targets[@]}"; do
    seeds=$root/tests/fuzz/corpus/${t#fuzz_}
    work=$build/corpus-$t
    mkdir -p "$work" "$seeds"
    echo "== $t: ${secs}s on $seeds"
    # -timeout: one input taking seconds is a hang worth reporting; -rss_limit_mb bounds blow-ups.
    if ! "$build/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
        -print_final_stats=1 -artifact_prefix="$build/crash-$t-" "$work" "$seeds" \
        2>"$build/$t.log"; then
        status=1
        echo "FAIL $t (see $build/$t.log and $build/crash-$t-*)" >&2
        tail -n 30 "$build/$t.log" >&2
    fi
    grep -E '^stat::number_of_executed_units|^Done ' "$build/$t.log" || true
done
exit $status
