#!/usr/bin/env bash
# bench/lib.sh - what the bench/*_to_*.sh pair scripts share: the servers' clients, the mixed
# `orders` table generated on each source engine, the arus config of a pair, best-of-ROUNDS
# timing of the engines' pipe and of arus (full refresh, first incremental load) alternating in
# one run, and the report: a human table plus one tab-separated line appended to $BENCH_RESULTS
# (what `make bench` / bench/run_all.sh collect). Sourced, never run.
# A pair script: source lib.sh; bench_init SRC DST "$@"; generate the source; define
# pipe_reset + pipe_run; bench_run; bench_report "PAIR" "YARDSTICK".
set -euo pipefail

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ARUS=${ARUS:-$BENCH_ROOT/build/arus}
ROUNDS=${ROUNDS:-2}
eval "$(bash "$BENCH_ROOT/scripts/servers.sh" env)"
export MYSQL_PWD=$ARUS_MY_PASSWORD PGPASSWORD=$ARUS_PG_PASSWORD ARUS_PG_PASSWORD ARUS_MY_PASSWORD \
    ARUS_CH_PASSWORD
B="arus_bench_$$"
PGDB=${PGDB:-$ARUS_PG_DB}
WORK=$(mktemp -d /tmp/arus-bench.XXXXXX)
ORDERS_COLS="id, customer_id, status, note, amount, weight, paid, qty, created_at, updated_at, deleted_at, attrs, ship_date"
BENCH_CLEANUPS=()
declare -A BEST RSS CPU

bench_at_exit() { BENCH_CLEANUPS+=("$1"); }
_bench_cleanup() {
    local c
    for c in "${BENCH_CLEANUPS[@]}"; do eval "$c" >/dev/null 2>&1 || true; done
    rm -rf "$WORK"
}
trap _bench_cleanup EXIT

psqlx() { psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$ARUS_PG_HOST" -p "$ARUS_PG_PORT" -U "$ARUS_PG_USER" -d "$PGDB" "$@"; }
mysqlx() { mariadb --no-defaults --protocol=TCP -h "$ARUS_MY_HOST" -P "$ARUS_MY_PORT" -u "$ARUS_MY_USER" --default-character-set=utf8mb4 "$@"; }
chq() { curl -sS --fail-with-body -H "X-ClickHouse-User: $ARUS_CH_USER" -H "X-ClickHouse-Key: $ARUS_CH_PASSWORD" "http://$ARUS_CH_HOST:$ARUS_CH_HTTP_PORT/" --data-binary "$1"; }
# clickhouse-client reads the password from a config file, never from argv
chc() {
    [ -f "$WORK/ch-client.xml" ] || printf '<config><user>%s</user><password>%s</password></config>\n' \
        "$ARUS_CH_USER" "$ARUS_CH_PASSWORD" >"$WORK/ch-client.xml"
    clickhouse-client --config-file="$WORK/ch-client.xml" --host "$ARUS_CH_HOST" --port "$ARUS_CH_TCP_PORT" "$@"
}
now() { date +%s.%N; }
calc() { echo "$1" | bc -l; }

# bench_init SRC DST [ROWS]: SRC one of pg my sqlite mongo, DST one of pg my ch; ROWS from the
# first argument, else $BENCH_ROWS, else 1,000,000. Registers the cleanup of what the pair
# creates on both sides.
bench_init() {
    SRC=$1 DST=$2
    ROWS=${3:-${BENCH_ROWS:-1000000}}
    [ -x "$ARUS" ] || { echo "no arus binary at $ARUS (build first or set ARUS)" >&2; exit 1; }
    local l
    case $SRC in
        pg) bench_at_exit "psqlx -c 'DROP SCHEMA IF EXISTS ${B}_src CASCADE'" ;;
        my) bench_at_exit "mysqlx -e 'DROP DATABASE IF EXISTS \`${B}_src\`'" ;;
    esac
    for l in pipe stg refresh incremental; do
        case $DST in
            pg) bench_at_exit "psqlx -c 'DROP SCHEMA IF EXISTS ${B}_$l CASCADE'" ;;
            my) bench_at_exit "mysqlx -e 'DROP DATABASE IF EXISTS \`${B}_$l\`'" ;;
            ch) bench_at_exit "chq 'DROP DATABASE IF EXISTS ${B}_$l'" ;;
        esac
    done
    case $DST in
        pg) bench_at_exit "psqlx -c \"DELETE FROM arus_state.watermarks WHERE pipeline LIKE '${B}%'; DELETE FROM arus_state.runs WHERE pipeline LIKE '${B}%'\"" ;;
        my) bench_at_exit "mysqlx -e \"DELETE FROM arus_state.watermarks WHERE pipeline LIKE '${B}%'; DELETE FROM arus_state.runs WHERE pipeline LIKE '${B}%'\"" ;;
        ch) bench_at_exit "chq 'DROP DATABASE IF EXISTS ${B}_state'" ;;
    esac
    bench_at_exit "rm -f \"${TMPDIR:-/tmp}\"/arus-*-${B}*.lock"
}

# The same 13-column `orders` table (keys, integers, text with tabs/quotes/newlines/UTF-8,
# decimal, double, boolean, timestamps with and without fraction, NULLs, JSON, date) on each
# source engine, ROWS rows.
gen_my_orders() { # DATABASE
    echo "generating $ROWS rows in MariaDB ..."
    mysqlx <<SQL
CREATE DATABASE \`$1\`;
USE \`$1\`;
CREATE TABLE orders (
  id BIGINT PRIMARY KEY, customer_id INT NOT NULL, status VARCHAR(20) NOT NULL, note TEXT,
  amount DECIMAL(12,2) NOT NULL, weight DOUBLE, paid TINYINT(1) NOT NULL, qty SMALLINT NOT NULL,
  created_at DATETIME NOT NULL, updated_at DATETIME(3) NOT NULL, deleted_at DATETIME NULL,
  attrs JSON, ship_date DATE NULL, KEY (updated_at));
INSERT INTO orders
SELECT seq, (seq * 7919) % 100000, ELT(1 + seq % 4, 'new', 'paid', 'shipped', 'returned'),
       CONCAT('note ', seq, IF(seq % 5 = 0, '\t"quoted" \\\\ back\nslash ''q'' ü', '')),
       (seq % 100000) / 100, seq / 3, seq % 2, seq % 300,
       '2024-01-01' + INTERVAL seq SECOND, '2024-01-01' + INTERVAL (seq DIV 1000) SECOND, NULL,
       JSON_OBJECT('k', seq, 'tag', ELT(1 + seq % 3, 'a', 'b', 'c')),
       IF(seq % 3 = 0, NULL, '2024-03-01' + INTERVAL (seq % 365) DAY)
FROM seq_1_to_$ROWS;
ANALYZE TABLE orders;
SQL
}

gen_pg_orders() { # SCHEMA
    echo "generating $ROWS rows in PostgreSQL ..."
    psqlx <<SQL
CREATE SCHEMA $1;
CREATE TABLE $1.orders (
  id bigint PRIMARY KEY, customer_id integer NOT NULL, status varchar(20) NOT NULL, note text,
  amount numeric(12,2) NOT NULL, weight double precision, paid boolean NOT NULL,
  qty smallint NOT NULL, created_at timestamp NOT NULL, updated_at timestamp(3) NOT NULL,
  deleted_at timestamp, attrs jsonb, ship_date date);
INSERT INTO $1.orders
SELECT i, (i * 7919) % 100000, (ARRAY['new', 'paid', 'shipped', 'returned'])[1 + i % 4],
       'note ' || i || CASE WHEN i % 5 = 0 THEN E'\t"quoted" \\\\ back\nslash ''q'' ü' ELSE '' END,
       (i % 100000) / 100.0, i / 3.0, i % 2 = 1, i % 300,
       timestamp '2024-01-01' + i * interval '1 second',
       timestamp '2024-01-01' + (i / 1000) * interval '1 second', NULL,
       jsonb_build_object('k', i, 'tag', (ARRAY['a', 'b', 'c'])[1 + i % 3]),
       CASE WHEN i % 3 = 0 THEN NULL ELSE date '2024-03-01' + (i % 365)::int END
FROM generate_series(1, $ROWS::bigint) i;
CREATE INDEX ON $1.orders (updated_at);
VACUUM ANALYZE $1.orders;
SQL
}

gen_sqlite_orders() { # FILE
    echo "generating $ROWS rows in SQLite ..."
    sqlite3 "$1" <<SQL
PRAGMA synchronous = OFF;
CREATE TABLE orders (
  id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, status TEXT NOT NULL, note TEXT,
  amount NUMERIC NOT NULL, weight REAL, paid BOOLEAN NOT NULL, qty INTEGER NOT NULL,
  created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL, deleted_at DATETIME,
  attrs TEXT, ship_date DATE);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $ROWS)
INSERT INTO orders
SELECT i, (i * 7919) % 100000, CASE i % 4 WHEN 0 THEN 'new' WHEN 1 THEN 'paid' WHEN 2 THEN 'shipped' ELSE 'returned' END,
       'note ' || i || CASE WHEN i % 5 = 0 THEN char(9) || '"quoted" \\ back' || char(10) || 'slash ''q'' ü' ELSE '' END,
       (i % 100000) / 100.0, i / 3.0, i % 2, i % 300,
       datetime('2024-01-01', '+' || i || ' seconds'), datetime('2024-01-01', '+' || (i / 1000) || ' seconds'), NULL,
       json_object('k', i, 'tag', CASE i % 3 WHEN 0 THEN 'a' WHEN 1 THEN 'b' ELSE 'c' END),
       CASE WHEN i % 3 = 0 THEN NULL ELSE date('2024-03-01', '+' || (i % 365) || ' days') END
FROM s;
CREATE INDEX orders_updated_at ON orders (updated_at);
ANALYZE;
SQL
}

# YAML of each engine's source (yml_src_*) and destination (yml_dst_*) entry.
yml_src_pg() { echo "{type: postgresql, host: $ARUS_PG_HOST, port: $ARUS_PG_PORT, username: $ARUS_PG_USER, password: \"\${ARUS_PG_PASSWORD}\", database: $PGDB, schema: $1}"; }
yml_src_my() { echo "{type: mysql, host: $ARUS_MY_HOST, port: $ARUS_MY_PORT, username: $ARUS_MY_USER, password: \"\${ARUS_MY_PASSWORD}\", database: $1}"; }
yml_src_sqlite() { echo "{type: sqlite, path: \"$1\"}"; }
yml_dst_pg() { echo "{type: postgresql, host: $ARUS_PG_HOST, port: $ARUS_PG_PORT, username: $ARUS_PG_USER, password: \"\${ARUS_PG_PASSWORD}\", database: $PGDB, raw_schema: ${B}_stg}"; }
yml_dst_my() { echo "{type: mysql, host: $ARUS_MY_HOST, port: $ARUS_MY_PORT, username: $ARUS_MY_USER, password: \"\${ARUS_MY_PASSWORD}\", raw_schema: ${B}_stg}"; }
yml_dst_ch() { echo "{type: clickhouse, host: $ARUS_CH_HOST, port: $ARUS_CH_HTTP_PORT, username: $ARUS_CH_USER, password: \"\${ARUS_CH_PASSWORD}\", raw_schema: ${B}_stg, state_schema: ${B}_state}"; }

# bench_config SOURCE_YAML TABLE [PIPELINE_KEYS]: $WORK/arus.yml with the pipelines
# ${B}_refresh and ${B}_incremental (target schemas of the same names) on the destination DST;
# $BENCH_PIPELINE_KEYS (e.g. "batch_size: 50000") is added to both, to try settings.
bench_config() {
    local keys=${3:-}
    [ -z "${BENCH_PIPELINE_KEYS:-}" ] || keys="${keys:+$keys, }$BENCH_PIPELINE_KEYS"
    local extra=${keys:+, $keys}
    cat >"$WORK/arus.yml" <<YML
sources:
  src: $1
destinations:
  dst: $(yml_dst_"$DST")
pipelines:
  ${B}_refresh: {source: src, destination: dst, tables: [$2], target_schema: ${B}_refresh$extra}
  ${B}_incremental: {source: src, destination: dst, tables: [$2], target_schema: ${B}_incremental$extra}
YML
    BENCH_TABLE=$2
}

# dst_count LABEL: rows arus loaded into ${B}_LABEL (ClickHouse: after merging versions)
dst_count() {
    case $DST in
        pg) psqlx -c "SELECT count(*) FROM ${B}_$1.$BENCH_TABLE" ;;
        my) mysqlx -N -e "SELECT COUNT(*) FROM \`${B}_$1\`.$BENCH_TABLE" ;;
        ch) chq "SELECT count() FROM ${B}_$1.$BENCH_TABLE FINAL" ;;
    esac
}
# dst_drop LABEL: drop the target schema ${B}_LABEL so each round loads from scratch
dst_drop() {
    case $DST in
        pg) psqlx -c "DROP SCHEMA IF EXISTS ${B}_$1 CASCADE" 2>/dev/null ;;
        my) mysqlx -e "DROP DATABASE IF EXISTS \`${B}_$1\`" ;;
        ch) chq "DROP DATABASE IF EXISTS ${B}_$1" ;;
    esac
}

# pg_cpu_watch OUT PARENT: until killed, poll every 0.2 s the PostgreSQL backends serving the
# arus process that PARENT (/usr/bin/time) runs (matched by its sockets' ports, `ss -p`), and
# keep each one's CPU ticks (utime + stime from /proc) and its role: "src" once it ran
# COPY ... TO STDOUT, else "dst". Writes "role ticks" lines to OUT when stopped.
pg_cpu_watch() {
    local out=$1 parent=$2 pid q apid ports
    set +e # a poll that finds nothing must not end the watch
    declare -A tick role
    trap 'for pid in "${!tick[@]}"; do echo "${role[$pid]:-dst} ${tick[$pid]}"; done >"$out"; exit 0' TERM
    while :; do
        apid=$(pgrep -P "$parent" | head -1 || true)
        ports=$([ -n "$apid" ] && ss -tnpH state established "( dport = :$ARUS_PG_PORT )" 2>/dev/null |
            awk -v p="pid=$apid," 'index($0, p) {n = split($3, a, ":"); printf "%s%s", sep, a[n]; sep = ","}')
        if [ -n "$ports" ]; then
            while IFS='|' read -r pid q; do
                [ -r "/proc/$pid/stat" ] || continue
                tick[$pid]=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo "${tick[$pid]:-0}")
                [[ $q == *"TO STDOUT"* ]] && role[$pid]=src
            done < <(psqlx -c "SELECT pid, left(query, 300) FROM pg_stat_activity WHERE client_port IN ($ports)" 2>/dev/null)
        fi
        sleep 0.2
    done
}

# bench_watched KEY PIPELINE ARGS...: one timed `arus sync PIPELINE ARGS` (the caller resets
# what it needs first) with pg_cpu_watch on the PostgreSQL backends serving it; the fastest run
# per KEY is kept: BEST, RSS, CPU (arus), SRCCPU and DSTCPU (backends, CPU seconds).
declare -A SRCCPU DSTCPU
bench_watched() {
    local key=$1 pipe=$2 t0 watch arus_pid secs hz
    shift 2
    t0=$(now)
    /usr/bin/time -v "$ARUS" -q -c "$WORK/arus.yml" sync "$pipe" "$@" 2>"$WORK/time.txt" >/dev/null &
    arus_pid=$!
    pg_cpu_watch "$WORK/pgcpu.txt" "$arus_pid" &
    watch=$!
    wait "$arus_pid" || { cat "$WORK/time.txt" >&2; kill "$watch"; exit 1; }
    secs=$(calc "$(now) - $t0")
    kill -TERM "$watch" 2>/dev/null || true
    wait "$watch" 2>/dev/null || true
    if [ -z "${BEST[$key]:-}" ] || (($(calc "$secs < ${BEST[$key]}"))); then
        BEST[$key]=$secs
        RSS[$key]=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$WORK/time.txt")
        CPU[$key]=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.1f", s}' "$WORK/time.txt")
        hz=$(getconf CLK_TCK)
        SRCCPU[$key]=$(awk -v hz="$hz" '$1 == "src" {s += $2} END {printf "%.1f", s / hz}' "$WORK/pgcpu.txt" 2>/dev/null || echo "?")
        DSTCPU[$key]=$(awk -v hz="$hz" '$1 == "dst" {s += $2} END {printf "%.1f", s / hz}' "$WORK/pgcpu.txt" 2>/dev/null || echo "?")
    fi
}

# best NAME SECONDS: keep the fastest time of each contestant (shared machines are noisy)
best() { if [ -z "${BEST[$1]:-}" ] || (($(calc "$2 < ${BEST[$1]}"))); then BEST[$1]=$2; fi; }

# bench_arus LABEL ARGS...: one timed `arus sync ${B}_LABEL ARGS` from scratch (target dropped,
# watermarks forgotten), peak RSS and CPU from /usr/bin/time -v, row count checked.
bench_arus() {
    local label=$1 t0 n
    shift
    dst_drop "$label"
    "$ARUS" -q -c "$WORK/arus.yml" reset "${B}_$label" --yes >/dev/null 2>&1 || true
    t0=$(now)
    /usr/bin/time -v "$ARUS" -q -c "$WORK/arus.yml" sync "${B}_$label" "$@" 2>"$WORK/time.txt" >/dev/null ||
        { cat "$WORK/time.txt" >&2; exit 1; }
    best "$label" "$(calc "$(now) - $t0")"
    RSS[$label]=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$WORK/time.txt")
    CPU[$label]=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.1f", s}' "$WORK/time.txt")
    n=$(dst_count "$label")
    [ "$n" = "$ROWS" ] || { echo "arus $label loaded $n rows, expected $ROWS" >&2; exit 1; }
}

# bench_run: ROUNDS rounds of pipe_reset + pipe_run (the pair script's), arus full refresh and
# arus first incremental load, alternating; pipe_check (optional) runs after each pipe.
bench_run() {
    local round t0
    for round in $(seq "$ROUNDS"); do
        echo "round $round: pipe, arus full refresh, arus first incremental load ..."
        pipe_reset
        t0=$(now)
        pipe_run
        best pipe "$(calc "$(now) - $t0")"
        ! declare -F pipe_check >/dev/null || pipe_check
        bench_arus refresh --full-refresh
        bench_arus incremental
    done
}

# bench_extra NAME LABEL SECONDS RSS_MB: one more contestant for the report (e.g. pgloader)
BENCH_EXTRA=""
bench_extra() {
    printf '%-50s %7.2f s %9.0f rows/s  %.2fx pipe  peak RSS %6s MB\n' "$2" "$3" \
        "$(calc "$ROWS / $3")" "$(calc "${BEST[pipe]} / $3")" "$4" >>"$WORK/extra.txt"
    BENCH_EXTRA="$1 $(printf '%.2f s (%.2fx), %s MB' "$3" "$(calc "${BEST[pipe]} / $3")" "$4")"
}

# bench_report PAIR YARDSTICK: the figures, and the line for bench/run_all.sh
bench_report() {
    local pair=$1 yard=$2 name label
    echo
    echo "$pair, $ROWS rows, best of $ROUNDS rounds; load: $(uptime | sed 's/.*load average: //')"
    printf '%-50s %7.2f s %9.0f rows/s\n' "pipe: $yard" "${BEST[pipe]}" "$(calc "$ROWS / ${BEST[pipe]}")"
    for name in refresh incremental; do
        label="arus full refresh"
        [ "$name" = incremental ] && label="arus first incremental load"
        printf '%-50s %7.2f s %9.0f rows/s  %.2fx pipe  peak RSS %6s MB  CPU %s s\n' "$label" \
            "${BEST[$name]}" "$(calc "$ROWS / ${BEST[$name]}")" \
            "$(calc "${BEST[pipe]} / ${BEST[$name]}")" "${RSS[$name]}" "${CPU[$name]}"
    done
    [ ! -f "$WORK/extra.txt" ] || cat "$WORK/extra.txt"
    echo "(ratio = pipe seconds / arus seconds; > 1 means faster than the pipe)"
    [ -z "${BENCH_RESULTS:-}" ] || printf '%s\t%s\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%s\t%s\t%s\n' \
        "$pair" "$yard" "${BEST[pipe]}" "${BEST[refresh]}" "$(calc "${BEST[pipe]} / ${BEST[refresh]}")" \
        "${BEST[incremental]}" "$(calc "${BEST[pipe]} / ${BEST[incremental]}")" \
        "$(printf '%s\n' "${RSS[refresh]}" "${RSS[incremental]}" | sort -n | tail -1)" \
        "BENCH_ROWS=$ROWS bench/$(basename "$0")" "$BENCH_EXTRA" >>"$BENCH_RESULTS"
}
