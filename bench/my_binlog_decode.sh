#!/usr/bin/env bash
# bench/my_binlog_decode.sh - decode rate of the MySQL/MariaDB binlog reader (issue 13's decoder,
# before any apply loop exists): ROWS single-row updates in transactions of 100 on a sysbench-
# like table (int key, int, char(120), char(60)), then (1) the stream read from the server from
# the GTID before the updates and decoded (my_binlog_tool peek on this database, JSON to
# /dev/null; other databases' events on the shared server are read but not decoded) and (2) the decoder alone on the captured
# events, from a file loaded into memory (my_binlog_tool decode, with and without JSON output):
# rows/s and peak RSS of each. Not a test: prints figures, drops its database at the end.
# Usage: bench/my_binlog_decode.sh [ROWS]   (BUILD=build dir, default build; needs the servers
# from scripts/servers.sh)
set -euo pipefail
ROWS=${1:-100000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
TOOL=$BUILD/my_binlog_tool
eval "$(bash "$ROOT/scripts/servers.sh" env)"
DB=arus_bench_binlog_$$
W=$(mktemp -d)
trap 'my -e "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1; rm -rf "$W"' EXIT
my() { MYSQL_PWD=$ARUS_MY_PASSWORD mariadb --no-defaults --protocol=TCP -h "$ARUS_MY_HOST" \
    -P "$ARUS_MY_PORT" -u "$ARUS_MY_USER" --batch --skip-column-names "$@"; }

my -e "CREATE DATABASE $DB; CREATE TABLE $DB.sbtest (id INT PRIMARY KEY, k INT NOT NULL,
       c CHAR(120) NOT NULL, pad CHAR(60) NOT NULL)"
my "$DB" -e "INSERT INTO sbtest SELECT seq, seq, REPEAT('c', 120), REPEAT('p', 60)
             FROM seq_1_to_$ROWS"
G0=$(my -e "SELECT @@gtid_binlog_pos")
# ROWS single-row updates, 100 per transaction
awk -v n="$ROWS" 'BEGIN { for (i = 1; i <= n; i++) {
    if (i % 100 == 1) print "BEGIN;"
    printf "UPDATE sbtest SET k = k + 1 WHERE id = %d;\n", i
    if (i % 100 == 0 || i == n) print "COMMIT;" } }' | my "$DB"

measure() { # label command...
    local t0 t1 rss
    t0=$(date +%s.%N)
    local label=$1
    shift
    /usr/bin/time -f "%M" -o "$W/rss" "$@" >/dev/null
    t1=$(date +%s.%N)
    rss=$(cat "$W/rss")
    awk -v l="$label" -v n="$ROWS" -v a="$t0" -v b="$t1" -v r="$rss" \
        'BEGIN { printf "%-34s %8.2f s %10.0f rows/s  peak RSS %6.1f MB\n", l, b - a, n / (b - a), r / 1024 }'
}
"$TOOL" capture "$G0" "$DB" "$W/ev.bin" "$W/ev.coll"
echo "$ROWS single-row updates, transactions of 100; events $(du -h "$W/ev.bin" | cut -f1)"
measure "server stream + decode (peek)" "$TOOL" peek "$G0" "$DB"
measure "decoder alone + JSON (decode)" "$TOOL" decode "$W/ev.bin" "$W/ev.coll"
measure "decoder alone (decode-quiet)" "$TOOL" decode-quiet "$W/ev.bin" "$W/ev.coll"
