#!/usr/bin/env bash
# bench/run_all.sh - what `make bench` runs: every pair's bench script at BENCH_ROWS rows
# (default 1,000,000), one after the other, then one Markdown table of their results (pair,
# yardstick pipe, pipe time, arus full refresh and first incremental load times with their
# ratios to the pipe, peak RSS, the command reproducing the row), with the machine's load.
# Then bench/raw_normalized.sh: what the raw JSON landing table adds to a typed load.
# A pair that fails is reported and the others still run (exit status 1 at the end).
# Usage: bench/run_all.sh [PAIR_SCRIPT...]   (default: all of them; ROUNDS, ARUS as in lib.sh)
set -uo pipefail
cd "$(dirname "$0")/.."
export BENCH_ROWS=${BENCH_ROWS:-1000000}
export BENCH_RESULTS
BENCH_RESULTS=$(mktemp /tmp/arus-bench-results.XXXXXX)
trap 'rm -f "$BENCH_RESULTS" "$BENCH_RESULTS.raw"' EXIT
PAIRS=("$@")
[ $# -gt 0 ] || PAIRS=(pg_to_pg my_to_pg sqlite_to_pg my_to_my pg_to_my ch_my_to_ch pg_to_ch mongo_to_pg)
load0=$(uptime | sed 's/.*load average: //')
status=0
for p in "${PAIRS[@]}"; do
    echo "== bench/${p%.sh}.sh ($BENCH_ROWS rows)"
    bash "bench/${p%.sh}.sh" || { echo "FAILED: bench/${p%.sh}.sh" >&2; status=1; }
done
if [ $# -eq 0 ]; then
    echo "== bench/raw_normalized.sh ($BENCH_ROWS rows)"
    bash bench/raw_normalized.sh || { echo "FAILED: bench/raw_normalized.sh" >&2; status=1; }
fi
echo
echo "$BENCH_ROWS rows, best of ${ROUNDS:-2} rounds per contestant; load average before: $load0, after: $(uptime | sed 's/.*load average: //')"
echo
echo "| pair | yardstick (pipe) | pipe s | arus full refresh s (ratio) | arus first incremental s (ratio) | peak RSS MB | reproduce | other |"
echo "|---|---|---|---|---|---|---|---|"
# a | inside a cell would end it, even in code spans: written \|
while IFS=$'\t' read -r pair yard pipe rs rr is ir rss cmd extra; do
    printf '| %s | `%s` | %s | %s (%s) | %s (%s) | %s | `%s` | %s |\n' "$pair" "${yard//|/\\|}" "$pipe" "$rs" "$rr" "$is" "$ir" "$rss" "$cmd" "$extra"
done <"$BENCH_RESULTS"
echo
echo "(ratio = pipe seconds / arus seconds: > 1 means arus is faster than the pipe)"
[ ! -s "$BENCH_RESULTS.raw" ] || { echo; cat "$BENCH_RESULTS.raw"; }
exit $status
