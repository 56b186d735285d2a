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
PAIRS=${*:-pg my}
SIZES=${SCALE_SIZES:-1000000 10000000}
CHANGED=${SCALE_CHANGED:-1000}
BIG=${SIZES##* }
declare -A T SRV S C
PG_POSTMASTER=$(head -1 "${ARUS_SRV_ROOT:-/tmp/arus-srv}/pg/data/postmaster.pid" 2>/dev/null || true)
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

# pg_backend_ticks PID: every 0.5 s while process PID lives, "backend ticks" of the PostgreSQL
# backends serving PID's connections (found by client port in their process title), so the
# servers' CPU is measured apart from the other sessions of the shared server.
pg_backend_ticks() {
    local port bpid
    while kill -0 "$1" 2>/dev/null; do
        for port in $(ss -tnpH "( dport = :$ARUS_PG_PORT )" | grep "pid=$1," | awk '{sub(/.*:/, "", $4); print $4}'); do
            for bpid in $(pgrep -P "$PG_POSTMASTER" -f "127\.0\.0\.1\($port\)"); do
                awk '{print $1, $14 + $15}' "/proc/$bpid/stat" 2>/dev/null || true
            done
        done
        sleep 0.5
    done
}

# scale_arus LABEL ARGS...: bench_arus (lib.sh) with the PostgreSQL backends' CPU in SRV[LABEL]
scale_arus() {
    local label=$1 t0 n tpid apid
    shift
    dst_drop "$label"
    "$ARUS" -q -c "$WORK/arus.yml" reset "${B}_$label" --yes >/dev/null 2>&1 || true
    t0=$(now)
    /usr/bin/time -v "$ARUS" -q -c "$WORK/arus.yml" sync "${B}_$label" "$@" 2>"$WORK/time.txt" >/dev/null &
    tpid=$!
    apid=""
    while [ -z "$apid" ] && kill -0 "$tpid" 2>/dev/null; do apid=$(pgrep -P "$tpid" || true); done
    : >"$WORK/ticks.txt"
    [ -z "$apid" ] || [ -z "$PG_POSTMASTER" ] || pg_backend_ticks "$apid" >"$WORK/ticks.txt" &
    wait "$tpid" || { cat "$WORK/time.txt" >&2; exit 1; }
    BEST[$label]=$(calc "$(now) - $t0")
    wait
    RSS[$label]=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$WORK/time.txt")
    CPU[$label]=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$WORK/time.txt")
    SRV[$label]=$(awk -v hz="$(getconf CLK_TCK)" '$2 > m[$1] {m[$1] = $2} END {for (p in m) s += m[p]; printf "%.2f", s / hz}' "$WORK/ticks.txt")
    n=$(dst_count "$label")
    [ "$n" = "$ROWS" ] || { echo "arus $label loaded $n rows, expected $ROWS" >&2; exit 1; }
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

# touch_rows SRC ROUND: CHANGED rows spread over the key range (other rows each round) get
# new, distinct watermarks above every existing one (2025-01-01 + ROUND days + i ms)
touch_rows() {
    local step=$((ROWS / CHANGED))
    case $1 in
        pg) psqlx -c "UPDATE ${B}_src.orders o SET updated_at = timestamp '2025-01-01' + interval '$2 days' + g.i * interval '1 millisecond'
                      FROM generate_series(1, $CHANGED) g(i) WHERE o.id = (g.i - 1) * $step + $2" ;;
        my) mysqlx_nolog -D "${B}_src" -e "UPDATE orders o JOIN seq_1_to_$CHANGED g ON o.id = (g.seq - 1) * $step + $2
                             SET o.updated_at = TIMESTAMP'2025-01-01 00:00:00' + INTERVAL $2 DAY + INTERVAL g.seq * 1000 MICROSECOND" ;;
    esac
}

# best_of3 NAME CMD...: CMD run 3 times (CMD may change the source first); best wall time of
# the sync into BEST_S, its rows loaded into BEST_N
ROUND=0
best_of3() {
    local r
    BEST_S="" BEST_N=""
    for r in 1 2 3; do
        ROUND=$((ROUND + 1))
        "$@" "$ROUND"
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
            if [ $label = refresh ]; then scale_arus refresh --full-refresh; else scale_arus incremental; fi
            dst_drop refresh # the refreshed copy is not needed again: disk
            T[$src.$n.$label]=${BEST[$label]}
            printf '%-26s %9d rows  %-24s %7.2f s %8.0f rows/s  peak RSS %5s MB  CPU arus %5s s, PostgreSQL backends %5s s\n' \
                "$pair" "$n" "$([ $label = refresh ] && echo "full refresh" || echo "first incremental load")" \
                "${BEST[$label]}" "$(calc "$n / ${BEST[$label]}")" "${RSS[$label]}" "${CPU[$label]}" "${SRV[$label]}" | tee -a "$REPORT"
            S[$src.$n.$label]=${SRV[$label]} C[$src.$n.$label]=${CPU[$label]}
        done
        [ "$n" = "$BIG" ] || continue
        # Once as generated (deleted_at not indexed: the soft-delete phase, which also reads
        # rows whose deleted_at passed the bound, can only scan the table), then with an index
        # on deleted_at (PostgreSQL: partial, WHERE deleted_at IS NOT NULL).
        for idx in "deleted_at not indexed" "deleted_at indexed"; do
            if [ "$idx" = "deleted_at indexed" ]; then
                case $src in
                    pg) psqlx -c "CREATE INDEX ON ${B}_src.orders (deleted_at) WHERE deleted_at IS NOT NULL" ;;
                    my) mysqlx_nolog -e "ALTER TABLE \`${B}_src\`.orders ADD INDEX (deleted_at)" ;;
                esac
            fi
            best_of3 idle
            printf '%-26s %9d rows  %-34s %-24s %7.3f s (best of 3), %s rows loaded\n' "$pair" "$n" \
                "idle incremental" "($idx)" "$BEST_S" "$BEST_N" | tee -a "$REPORT"
            best_of3 touch_rows "$src"
            printf '%-26s %9d rows  %-34s %-24s %7.3f s (best of 3), %s rows loaded\n' "$pair" "$n" \
                "incremental, $CHANGED changed" "($idx)" "$BEST_S" "$BEST_N" | tee -a "$REPORT"
        done
    done
    small=${SIZES%% *}
    if [ "$small" != "$BIG" ]; then
        for label in refresh incremental; do
            k=$(calc "$BIG / $small")
            printf '%-26s linearity %-12s %d / (%.0f x %d): wall %.2f, arus CPU %.2f, PostgreSQL CPU %.2f\n' \
                "$pair" "$label" "$BIG" "$k" "$small" \
                "$(calc "${T[$src.$BIG.$label]} / ($k * ${T[$src.$small.$label]})")" \
                "$(calc "${C[$src.$BIG.$label]} / ($k * ${C[$src.$small.$label]} + 0.0001)")" \
                "$(calc "${S[$src.$BIG.$label]} / ($k * ${S[$src.$small.$label]} + 0.0001)")" | tee -a "$REPORT"
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
