#!/usr/bin/env bash
# PostgreSQL <-> SQLite: every type of src.alltypes goes PostgreSQL -> SQLite -> PostgreSQL and
# compares equal to the original (the SQLite copy is checked on its own too); a rerun moves 0
# rows both ways; text with a NUL byte from SQLite (PostgreSQL text cannot store NUL) fails the
# run with one clear line naming table and column, or goes to the dead-letter table.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
"$ARUS" connectors | grep -q '^source  *sqlite' || fail "sqlite connector not built"

pg_create_alltypes
WH="$WORK/wh.db"
BAD="$WORK/bad.db"
sqlite_sql "$BAD" "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, updated_at TEXT);
    INSERT INTO notes VALUES (1, 'fine', '2024-01-01 00:00:00'),
                             (2, CAST(X'6100620a' AS TEXT), '2024-01-02 00:00:00');"
{
    echo "sources:"
    pg_endpoint pgsrc postgresql "schema: src"
    echo "  wh: {type: sqlite, path: \"$WH\"}"
    echo "  bad: {type: sqlite, path: \"$BAD\"}"
    echo "destinations:"
    pg_endpoint pgdst postgresql
    echo "  whdst: {type: sqlite, path: \"$WH\"}"
    echo "pipelines:"
    echo "  out: {source: pgsrc, destination: whdst, tables: [alltypes], batch_size: 3}"
    echo "  back: {source: wh, destination: pgdst, tables: [analytics__alltypes], target_schema: back, batch_size: 3}"
    echo "  nul: {source: bad, destination: pgdst, tables: [notes]}"
} >"$WORK/arus.yml"

arus_ok -c "$WORK/arus.yml" sync out
# Spot checks in SQLite itself: exact decimals, UTC timestamps, raw bytes, JSON arrays.
assert_eq "$(sqlite_sql "$WH" "SELECT c_n38 FROM analytics__alltypes WHERE id = 1")" \
    99999999999999999999999999999999999999 "38-digit numeric in SQLite"
assert_eq "$(sqlite_sql "$WH" "SELECT c_tstz FROM analytics__alltypes WHERE id = 1")" \
    "1900-12-31 19:00:00" "timestamptz in SQLite (UTC)"
assert_eq "$(sqlite_sql "$WH" "SELECT hex(c_bytea) FROM analytics__alltypes WHERE id = 1")" \
    00FF10 "bytea in SQLite"
assert_eq "$(sqlite_sql "$WH" "SELECT c_arr FROM analytics__alltypes WHERE id = 1")" \
    "[1,null,3]" "integer[] as JSON in SQLite"
assert_eq "$(sqlite_sql "$WH" "SELECT c_text = 'q''\"\\ ' || char(9) || ' tab' || char(10) || 'nl ' || char(13) || ' cr 😀 \\N' FROM analytics__alltypes WHERE id = 1")" \
    1 "hostile text in SQLite"

arus_ok -c "$WORK/arus.yml" sync back
assert_eq "$(pg_compare_alltypes back.analytics__alltypes)" 0 "rows differing after PG -> SQLite -> PG"

arus_ok -c "$WORK/arus.yml" sync out
arus_ok -c "$WORK/arus.yml" sync back
assert_eq "$(pg_last_run analytics__alltypes | cut -d' ' -f2)" 0 "rows loaded into PG by the rerun"
assert_eq "$(pg_compare_alltypes back.analytics__alltypes)" 0 "rows differing after the reruns"

# NUL bytes: with max_dead_letters 0 the run fails naming table and column and the watermark
# stays before the refused row; with max_dead_letters 1 the rest loads and the watermark moves.
# Either way the row is kept in staging._dead_letters (as json: jsonb cannot hold \u0000).
rc=0; arus -c "$WORK/arus.yml" sync nul || rc=$?
assert_eq "$rc" 5 "NUL byte exit"
grep -q 'load "analytics.notes": column "body" (batch row 1) contains a NUL byte' "$WORK/err" ||
    fail "NUL byte: $(cat "$WORK/err")"
[ "$(arus_err_lines)" -eq 1 ] || fail "NUL byte: expected one line: $(cat "$WORK/err")"
assert_eq "$(pg_sql -c "SELECT count(*) FROM arus_state.watermarks WHERE pipeline = 'nul'")" 0 \
    "state after the NUL failure"
sed -i 's/  nul: {source: bad, destination: pgdst, tables: \[notes\]}/  nul: {source: bad, destination: pgdst, tables: [notes], max_dead_letters: 1}/' "$WORK/arus.yml"
arus_ok -c "$WORK/arus.yml" sync nul
assert_eq "$(pg_sql -c 'SELECT string_agg(body, chr(44)) FROM analytics.notes')" fine "rows loaded beside the NUL row"
assert_eq "$(pg_sql -c "SELECT DISTINCT row_data::text || ' ' || source || ' ' || table_name FROM staging._dead_letters")" \
    '{"id":2,"body":"a\u0000b\n","updated_at":"2024-01-02 00:00:00"} bad notes' "dead letter"
assert_eq "$(pg_sql -c "SELECT count(*) = count(*) FILTER (WHERE error LIKE '%NUL byte%') FROM staging._dead_letters")" t \
    "dead letter error"
assert_eq "$(pg_sql -c "SELECT watermark FROM arus_state.watermarks WHERE pipeline = 'nul'")" \
    "2024-01-02 00:00:00" "watermark past the dead-lettered row"
echo "ok"
