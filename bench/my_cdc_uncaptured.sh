#!/usr/bin/env bash
# bench/my_cdc_uncaptured.sh - instructions arus spends reading a MariaDB binlog whose changes
# are mostly to a table the pipeline does not capture: a cdc pipeline (into SQLite) captures
# `cap`; after its initial copy, ROWS rows are inserted into and then updated in `noise` (wide
# rows, not captured) and 100 into `cap`; one `arus sync` under callgrind applies them. Prints
# arus's total instructions (Ir) and those spent in zlib's crc32 (calls summed). Compare two
# builds with ARUS and ARUS2 (each has its own pipeline, placed before the same changes; both
# run at once, so they read the same binlog, other tests' events on the shared server included).
# Usage: bench/my_cdc_uncaptured.sh [ROWS]   (default 20000; ARUS, ARUS2: binaries to compare,
# default build/arus and none). Not a test: prints figures, drops its database at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROWS=${1:-20000}
ARUS=${ARUS:-$ROOT/build/arus}
ARUS2=${ARUS2:-}
eval "$(bash "$ROOT/scripts/servers.sh" env)"
export ARUS_MY_PASSWORD MYSQL_PWD=$ARUS_MY_PASSWORD
B="arus_mycdcnoise_$$"
WORK=$(mktemp -d /tmp/arus-bench.XXXXXX)
my() { mariadb --no-defaults --protocol=TCP -h "$ARUS_MY_HOST" -P "$ARUS_MY_PORT" -u "$ARUS_MY_USER" --batch --skip-column-names "$@"; }
cleanup() {
    my -e "DROP DATABASE IF EXISTS ${B}_src" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

my -e "CREATE DATABASE ${B}_src"
my -D "${B}_src" -e "CREATE TABLE ${B}_src.cap (id INT PRIMARY KEY, v VARCHAR(40));
    CREATE TABLE ${B}_src.noise (id INT PRIMARY KEY, v VARCHAR(255), n BIGINT);
    INSERT INTO ${B}_src.cap SELECT seq, CONCAT('v', seq) FROM seq_1_to_100"
bins=("$ARUS")
[ -n "$ARUS2" ] && bins+=("$ARUS2")
{
    echo "sources:"
    echo "  src: {type: mariadb, host: $ARUS_MY_HOST, port: $ARUS_MY_PORT, username: $ARUS_MY_USER, password: \"\${ARUS_MY_PASSWORD}\", database: ${B}_src}"
    echo "destinations:"
    for i in "${!bins[@]}"; do echo "  lite$i: {type: sqlite, path: \"$WORK/lite$i.db\"}"; done
    echo "pipelines:"
    for i in "${!bins[@]}"; do
        echo "  p$i: {source: src, destination: lite$i, sync_mode: cdc, batch_size: 10000, tables: [cap]}"
    done
} >"$WORK/arus.yml"
for i in "${!bins[@]}"; do "${bins[$i]}" -c "$WORK/arus.yml" sync "p$i" >/dev/null; done
my -D "${B}_src" -e "INSERT INTO ${B}_src.noise SELECT seq, REPEAT(MD5(seq), 7), seq FROM seq_1_to_$ROWS;
    UPDATE ${B}_src.noise SET n = n + 1;
    INSERT INTO ${B}_src.cap SELECT seq, 'new' FROM seq_1001_to_1100"
# side by side, so that both read the same binlog (the shared server's other traffic included)
for i in "${!bins[@]}"; do
    valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.$i" "${bins[$i]}" -c "$WORK/arus.yml" \
        sync "p$i" >/dev/null 2>"$WORK/vg.$i" &
done
wait
for i in "${!bins[@]}"; do
    total=$(callgrind_annotate "$WORK/cg.$i" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
    # the calls into zlib's crc32, summed over their call sites
    crc=$(callgrind_annotate --inclusive=yes "$WORK/cg.$i" 2>/dev/null |
        awk '/=> [?]+:crc32 [(]/ {gsub(",", "", $1); c += $1; gsub(/[(),x]/, "", $NF); n += $NF} END {print c + 0 " Ir in " n + 0 " calls"}')
    rows=$(sqlite3 "$WORK/lite$i.db" "SELECT count(*) FROM analytics__cap")
    echo "${bins[$i]}: Ir $total, crc32 $crc, cap rows $rows"
done
