#!/usr/bin/env bash
# bench/raw_normalized.sh - what the raw JSON landing table costs: `load_mode: normalized`
# against `load_mode: raw+normalized` (the spec's layout: every row as JSONB in
# <raw_schema>.<source>_<table>_raw plus the typed table) on the MariaDB -> PostgreSQL `orders`
# table (bench/lib.sh), full refresh and first incremental load, best of ROUNDS alternating
# rounds: seconds, the ratio raw+normalized / normalized (issue 15 asks at most 1.5), peak RSS,
# arus's CPU and the CPU seconds of the destination backends (sampled from /proc).
# Usage: bench/raw_normalized.sh [ROWS]   (ROUNDS, ARUS as in bench/lib.sh; with BENCH_RESULTS
# set, as under bench/run_all.sh, the summary line also goes to $BENCH_RESULTS.raw)
source "$(dirname "$0")/lib.sh"
bench_init my pg "$@"
gen_my_orders "${B}_src"
MODES=(normalized raw+normalized)
{
    echo "sources:"
    echo "  src: $(yml_src_my "${B}_src")"
    echo "destinations:"
    echo "  dst: $(yml_dst_pg)"
    echo "pipelines:"
    for i in 0 1; do
        echo "  ${B}_m$i: {source: src, destination: dst, tables: [orders], target_schema: ${B}_m$i, load_mode: ${MODES[$i]}}"
        bench_at_exit "psqlx -c 'DROP SCHEMA IF EXISTS ${B}_m$i CASCADE'"
    done
} >"$WORK/arus.yml"

run() { # MODE_INDEX KIND ARGS...
    local i=$1 kind=$2
    shift 2
    dst_drop "m$i"
    psqlx -c "DROP TABLE IF EXISTS ${B}_stg.src_orders_raw" 2>/dev/null
    "$ARUS" -q -c "$WORK/arus.yml" reset "${B}_m$i" --yes >/dev/null 2>&1 || true
    bench_watched "$i$kind" "${B}_m$i" "$@"
    [ "$(psqlx -c "SELECT count(*) FROM ${B}_m$i.orders")" = "$ROWS" ] || { echo "m$i: wrong row count" >&2; exit 1; }
    if [ "$i" = 1 ] && [ "$(psqlx -c "SELECT count(*) FROM ${B}_stg.src_orders_raw")" != "$ROWS" ]; then
        echo "raw+normalized: wrong raw row count" >&2
        exit 1
    fi
}
for round in $(seq "$ROUNDS"); do
    echo "round $round: normalized and raw+normalized, full refresh and first incremental load ..."
    for i in 0 1; do
        run "$i" refresh --full-refresh
        run "$i" incremental
    done
done
echo
echo "MariaDB -> PostgreSQL, $ROWS rows, best of $ROUNDS rounds; load: $(uptime | sed 's/.*load average: //')"
for kind in refresh incremental; do
    for i in 0 1; do
        k=$i$kind
        printf '  %-11s %-15s %7.2f s %9.0f rows/s  peak RSS %6s MB  CPU s: arus %s, destination backend %s\n' \
            "$kind" "${MODES[$i]}" "${BEST[$k]}" "$(calc "$ROWS / ${BEST[$k]}")" "${RSS[$k]}" "${CPU[$k]}" "${DSTCPU[$k]}"
    done
    printf '  %-11s raw+normalized / normalized: %.2fx the time\n' "$kind" "$(calc "${BEST[1$kind]} / ${BEST[0$kind]}")"
done
[ -z "${BENCH_RESULTS:-}" ] || printf 'raw+normalized / normalized, MariaDB -> PostgreSQL `orders` (`BENCH_ROWS=%s bench/raw_normalized.sh`): full refresh %.2f / %.2f s = %.2fx, first incremental load %.2f / %.2f s = %.2fx (destination backend CPU %s / %s s and %s / %s s)\n' \
    "$ROWS" "${BEST[1refresh]}" "${BEST[0refresh]}" "$(calc "${BEST[1refresh]} / ${BEST[0refresh]}")" \
    "${BEST[1incremental]}" "${BEST[0incremental]}" "$(calc "${BEST[1incremental]} / ${BEST[0incremental]}")" \
    "${DSTCPU[1refresh]}" "${DSTCPU[0refresh]}" "${DSTCPU[1incremental]}" "${DSTCPU[0incremental]}" >>"$BENCH_RESULTS.raw"
