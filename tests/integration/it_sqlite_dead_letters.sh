#!/usr/bin/env bash
# Rows the destination refuses go to the dead-letter table; the rest of the batch loads; the run
# reports the count; max_dead_letters decides whether the run fails (default 0: it fails and
# the watermark stays before the refused rows).
source "$(dirname "$0")/lib.sh"

SRC=$WORK/src.db
DST=$WORK/wh.db
write_cfg() {
  sqlite_write_config "$SRC" "$DST" <<YML
    tables: [items]
    batch_size: 10
    $1
YML
}
# The warehouse refuses negative quantities.
sqlite_refusing_items "$SRC" "$DST"

write_cfg ""
rc=0; arus -c "$WORK/arus.yml" sync p || rc=$?
assert_eq "$rc" 5 "refused row with max_dead_letters 0"
grep -q 'more than max_dead_letters 0.*CHECK constraint failed' "$WORK/err" || fail "message: $(cat "$WORK/err")"
# Batches 1-2 commit; batch 3 is split to find row 25 (rows 21-24 commit on the way, without the
# watermark: re-delivering them later is harmless).
assert_eq "$(sqlite_sql "$DST" "SELECT count(*) FROM analytics__items")" 24 "rows before the refused row"
assert_eq "$(sqlite_sql "$DST" "SELECT watermark FROM arus_state__watermarks")" "2024-01-01 00:00:20" "watermark before the refused batch"

write_cfg "max_dead_letters: 10"
arus_ok -c "$WORK/arus.yml" --json sync p
grep -q '"rows_dead_lettered":4' "$WORK/out" || fail "dead letter count: $(cat "$WORK/out")"
assert_eq "$(sqlite_sql "$DST" "SELECT count(*) FROM analytics__items")" 96 "good rows loaded"
assert_eq "$(sqlite_sql "$DST" "SELECT group_concat(json_extract(row_data, '\$.id'), ',') FROM (SELECT DISTINCT row_data FROM staging___dead_letters ORDER BY json_extract(row_data, '\$.id'))")" \
  "25,50,75,100" "dead-lettered rows"
assert_eq "$(sqlite_sql "$DST" "SELECT count(*) FROM staging___dead_letters WHERE source = 'lite' AND table_name = 'items' AND error LIKE '%CHECK constraint failed%'")" \
  "$(sqlite_sql "$DST" "SELECT count(*) FROM staging___dead_letters")" "dead letter source/table/error"
assert_eq "$(sqlite_sql "$DST" "SELECT watermark FROM arus_state__watermarks")" "2024-01-01 00:01:40" "watermark after the run"
arus_ok -c "$WORK/arus.yml" --json runs p
grep -q '"status":"ok".*"rows_dead_lettered":4' "$WORK/out" || fail "runs: $(cat "$WORK/out")"
echo ok
