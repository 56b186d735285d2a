#!/usr/bin/env bash
# parallelism: N, MariaDB -> SQLite: five tables on four connection pairs (four writers on one
# SQLite file, each waiting its turn on the file lock) give exact copies; a rerun moves only the
# changed rows and a full refresh swaps every table. Correctness only, no timing.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/my_lib.sh"

WH="$WORK/wh.db"
for i in 1 2 3 4 5; do
    mys "$MY_SRC" -e "CREATE TABLE t$i (id BIGINT PRIMARY KEY, v VARCHAR(40), updated_at DATETIME(3) NOT NULL);
        INSERT INTO t$i SELECT seq, CONCAT('t$i row ', seq), '2024-01-01' + INTERVAL seq SECOND FROM seq_1_to_$((400 * i))"
done
my_sqlite_config "$WH" "tables: [t1, t2, t3, t4, t5], parallelism: 4, batch_size: 150"
check() {
    for i in 1 2 3 4 5; do my_sqlite_same "$WH" "t$i" "copy of t$i $1"; done
}

arus_ok -c "$WORK/arus.yml" sync "$PIPE"
check "after the first load"
assert_eq "$(sqlite_sql "$WH" "SELECT count(*) FROM analytics__t5")" 2000 "rows of t5"

mys "$MY_SRC" -e "UPDATE t4 SET v = 'changed', updated_at = '2025-01-01' WHERE id <= 5"
arus_ok -c "$WORK/arus.yml" sync "$PIPE"
check "after the rerun"
assert_eq "$(sqlite_sql "$WH" "SELECT count(*) FROM analytics__t4 WHERE v = 'changed'")" 5 "changed rows of t4"

mys "$MY_SRC" -e "DELETE FROM t1 WHERE id > 3"
arus_ok -c "$WORK/arus.yml" sync "$PIPE" --full-refresh
check "after the full refresh"
echo "PASS"
