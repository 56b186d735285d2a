#!/usr/bin/env bash
# bench/scale.sh - how arus scales from 1M to 10M rows (PostgreSQL -> PostgreSQL and MariaDB ->
# PostgreSQL, the `orders` table of bench/lib.sh, generated server-side): full refresh and first
# incremental load time, rows/s, peak RSS and arus CPU at each size, the linearity ratio
# T(10M) / (10 x T(1M)), then on the 10M-row table the wall time of an incremental `arus sync`
# that finds 1,000 changed rows (best of 3, each round changing 1,000 other rows scattered over
# the key range) and of an idle one (no change). The big tables are dropped at the end.
# Usage: bench/scale.sh [PAIRS]   PAIRS: "pg my" (default); SCALE_SIZES="1000000 10000000",
# SCALE_CHANGED=1000, ARUS as in bench/lib.sh. Not part of `make bench` (10+ minutes, ~8 GB of
# disk for a while): `make bench-scale`.
source "$(dirname "$0")/lib.sh"
PAIRS=${1:-pg my}
SIZES=${SCALE_SIZES:-1000000 10000000}
CHANGED=${SCALE_CHANGED:-1000}
BIG=${SIZES##* }
declare -A T
REPORT="$WORK/report.txt"
: >"$REPORT"

# The generators write through mysqlx: keep 10M rows of generated data out of the MariaDB
# binlog (other benches and the CDC tests read it); arus reads the table, not the log.
mysqlx_nolog() {
    mariadb --no-defaults --protocol=TCP -h "$ARUS_MY_HOST" -P "$ARUS_MY_PORT" -u "$ARUS_MY_USER" \
        --default-character-set=utf8mb4 --init-command="SET SESSION sql_log_bin = 0" "$@"
}

# gen SRC ROWS: a fresh `orders` table of ROWS rows on the source (index on updated_at)
gen() {
    ROWS=$2
    case $1 in
        pg) psqlx -c "SET client_min_messages = warning" -c "DROP SCHEMA IF EXISTS ${B}_src CASCADE" && gen_pg_orders "${B}_src" ;;
        my) mysqlx -e "DROP DATABASE IF EXISTS \`${B}_src\`" &&
                (mysqlx() { mysqlx_nolog "$@"; } && gen_my_orders "${B}_src") ;;
    esac >/dev/null
}

# sync_json LABEL: one timed incremental `arus sync ${B}_LABEL --json`; sets SECS and LOADED
sync_json() {
    local t0
    t0=$(now)
    "$ARUS" -q --json -c "$WORK/arus.yml" sync "${B}_$1" >"$WORK/sync.json" ||
        { cat "$WORK/sync.json" >&2; exit 1; }
    SECS=$(calc "$(now) - $t0")
    LOADED=$(sed -n 's/.*"rows_loaded":\([0-9]*\).*/\1/p' "$WORK/sync.json")
}

# touch_rows SRC ROUND: CHANGED rows spread over the key range get new, distinct watermarks
# above every existing one (2025-01-ROUND + i ms)
touch_rows() {
    local step=$((ROWS / CHANGED))
    case $1 in
        pg) psqlx -c "UPDATE ${B}_src.orders o SET updated_at = timestamp '2025-01-0$2' + g.i * interval '1 millisecond'
                      FROM generate_series(1, $CHANGED) g(i) WHERE o.id = (g.i - 1) * $step + $2" ;;
        my) mysqlx_nolog -D "${B}_src" -e "UPDATE orders o JOIN seq_1_to_$CHANGED g ON o.id = (g.seq - 1) * $step + $2
                             SET o.updated_at = TIMESTAMP'2025-01-0$2 00:00:00' + INTERVAL g.seq * 1000 MICROSECOND" ;;
    esac
}

# best_of3 NAME CMD...: CMD run 3 times (CMD may change the source first); best wall time of
# the sync into BEST_S, its rows loaded into BEST_N
best_of3() {
    local r
    BEST_S="" BEST_N=""
    for r in 1 2 3; do
        "$@" "$r"
        sync_json incremental
        if [ -z "$BEST_S" ] || (($(calc "$SECS < $BEST_S"))); then BEST_S=$SECS BEST_N=$LOADED; fi
    done
}
idle() { :; }

for src in $PAIRS; do
    case $src in
        pg) pair="PostgreSQL -> PostgreSQL" ;;
        my) pair="MariaDB -> PostgreSQL" ;;
        *) echo "unknown pair $src (pg or my)" >&2; exit 2 ;;
    esac
    bench_init "$src" pg "${SIZES%% *}"
    BEST=()
    for n in $SIZES; do
        t0=$(now)
        gen "$src" "$n"
        echo "$pair: $n rows generated in $(printf '%.0f' "$(calc "$(now) - $t0")") s; arus full refresh, first incremental load ..."
        bench_config "$([ "$src" = pg ] && yml_src_pg "${B}_src" || yml_src_my "${B}_src")" orders
        for label in refresh incremental; do
            BEST=()
            if [ $label = refresh ]; then bench_arus refresh --full-refresh; else bench_arus incremental; fi
            dst_drop refresh # the refreshed copy is not needed again: disk
            T[$src.$n.$label]=${BEST[$label]}
            printf '%-26s %9d rows  %-28s %7.2f s %9.0f rows/s  peak RSS %6s MB  arus CPU %5s s\n' \
                "$pair" "$n" "$([ $label = refresh ] && echo "full refresh" || echo "first incremental load")" \
                "${BEST[$label]}" "$(calc "$n / ${BEST[$label]}")" "${RSS[$label]}" "${CPU[$label]}" | tee -a "$REPORT"
        done
        [ "$n" = "$BIG" ] || continue
        best_of3 idle
        printf '%-26s %9d rows  %-28s %7.3f s (best of 3), %s rows loaded\n' "$pair" "$n" \
            "idle incremental" "$BEST_S" "$BEST_N" | tee -a "$REPORT"
        best_of3 touch_rows "$src"
        printf '%-26s %9d rows  %-28s %7.3f s (best of 3), %s rows loaded\n' "$pair" "$n" \
            "incremental, $CHANGED changed" "$BEST_S" "$BEST_N" | tee -a "$REPORT"
    done
    small=${SIZES%% *}
    if [ "$small" != "$BIG" ]; then
        for label in refresh incremental; do
            printf '%-26s linearity %-22s T(%d) / (%d x T(%d)) = %.2f\n' "$pair" "$label" "$BIG" \
                "$((BIG / small))" "$small" \
                "$(calc "${T[$src.$BIG.$label]} / ($BIG / $small * ${T[$src.$small.$label]})")" | tee -a "$REPORT"
        done
    fi
    # the big tables go now, not at exit: disk
    dst_drop incremental
    case $src in
        pg) psqlx -c "SET client_min_messages = warning" -c "DROP SCHEMA IF EXISTS ${B}_src CASCADE" ;;
        my) mysqlx -e "DROP DATABASE IF EXISTS \`${B}_src\`" ;;
    esac
done
echo
echo "bench/scale.sh, load: $(uptime | sed 's/.*load average: //')"
cat "$REPORT"
