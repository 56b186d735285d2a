#!/usr/bin/env bash
# MySQL destination refusing values: a SQLite source (which does not enforce declared types)
# holds SMALLINT values out of range; MariaDB (strict mode) refuses those rows, which go to
# <raw db>._dead_letters while the rest of each batch loads.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/my_lib.sh"

SRC=$WORK/src.db
sqlite_sql "$SRC" "CREATE TABLE m (id INTEGER PRIMARY KEY, small SMALLINT, updated_at TIMESTAMP);
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60)
  INSERT INTO m SELECT i, CASE WHEN i % 20 = 0 THEN 100000 + i ELSE i END,
    printf('2024-01-01 00:00:%02d', i) FROM n;"
cat >"$WORK/dl.yml" <<YML
sources:
  lite: {type: sqlite, path: $SRC}
destinations:
$(my_endpoint mydst mysql "$MY_AN" "raw_schema: $MY_STG" "target_schema: $MY_AN")
pipelines:
  $PIPE:
    source: lite
    destination: mydst
    tables: [m]
    batch_size: 8
    max_dead_letters: 5
YML
arus_ok -c "$WORK/dl.yml" --json sync "$PIPE"
grep -q '"rows_dead_lettered":3' "$WORK/out" || fail "dead letters: $(cat "$WORK/out") $(cat "$WORK/err")"
assert_eq "$(mys -N -e "SELECT count(*) FROM \`$MY_AN\`.m")" 57 "good rows loaded"
assert_eq "$(mys -N -e "SELECT group_concat(JSON_VALUE(row_data, '\$.id') ORDER BY _arus_id) FROM \`$MY_STG\`._dead_letters WHERE source = 'lite' AND table_name = 'm' AND error LIKE '%Out of range%'")" \
  "20,40,60" "dead-lettered rows and their error"
echo ok
