#!/usr/bin/env bash
# parallelism: 4 into a SQLite destination (one writer at a time per file): four tables and one
# table above split_min_rows, with batches big enough that a writer holds the file lock for a
# long while, load with no "database is locked" and equal the source, on the first load, an
# incremental rerun and a full refresh. Correctness only, no timing.
source "$(dirname "$0")/lib.sh"

SRC=$WORK/src.db
DST=$WORK/wh.db
TABLES="t1 t2 t3 t4 big"
for t in $TABLES; do
    n=60000
    [ "$t" = big ] && n=240000
    sqlite_sql "$SRC" "CREATE TABLE $t (id INTEGER PRIMARY KEY, v TEXT, updated_at TIMESTAMP);
  WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $n)
  INSERT INTO $t SELECT i, printf('%s row %d %s', '$t', i, hex(randomblob(24))),
    datetime('2024-01-01', '+' || i || ' seconds') FROM s;"
done
sqlite_write_config "$SRC" "$DST" <<'YML'
    tables: [t1, t2, t3, t4, {name: big, parallelism: 4}]
    parallelism: 4
    split_min_rows: 50000
    batch_size: 30000
YML
fp() { sqlite_sql "$1" "SELECT id, v, updated_at FROM $2 ORDER BY id" | md5sum | cut -d' ' -f1; }
check() {
    for t in $TABLES; do assert_eq "$(fp "$DST" "analytics__$t")" "$(fp "$SRC" "$t")" "copy of $t $1"; done
}
export ARUS_LOG_LEVEL=info

arus_ok -c "$WORK/arus.yml" sync p
grep -q 'table "big": split into [0-9]* key ranges on "id"' "$WORK/err" || fail "big not split: $(cat "$WORK/err")"
check "after the first load"

sqlite_sql "$SRC" "UPDATE t3 SET v = 'changed', updated_at = '2025-01-01 00:00:00' WHERE id % 100 = 0;
  UPDATE big SET v = 'changed', updated_at = '2025-01-01 00:00:00' WHERE id % 1000 = 0"
arus_ok -c "$WORK/arus.yml" sync p
check "after the incremental run"

sqlite_sql "$SRC" "DELETE FROM t1 WHERE id > 10"
arus_ok -c "$WORK/arus.yml" sync p --full-refresh
grep -q 'table "big": split into [0-9]* key ranges on "id"' "$WORK/err" || fail "refresh not split: $(cat "$WORK/err")"
check "after the full refresh"
echo "PASS"
