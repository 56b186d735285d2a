#!/usr/bin/env bash
# SQLite -> ClickHouse through the CLI: every type lands with its value (compared under FINAL),
# the raw zone keeps exact JSON, updates collapse to one row per key, soft deletes become
# tombstones hidden by the <table>_current view, reruns are idempotent, schema drift adds
# columns, full refresh swaps a shadow table in, out-of-range dates fail the table with a
# clear message, and the local pipeline lock makes a second run fail fast.
source "$(dirname "$0")/lib.sh"

source "$(dirname "$0")/ch_lib.sh"
SRC=$WORK/src.db
cat >"$WORK/arus.yml" <<YML
sources:
  lite:
    type: sqlite
    path: $SRC
destinations:
$(ch_destination "database: $ARUS_CH_DB" "compression: gzip")
pipelines:
  p:
    source: lite
    destination: ch
    tables: ["*"]
    batch_size: 500
    load_mode: raw+normalized
YML
cfg=(-c "$WORK/arus.yml")

sqlite_sql "$SRC" <<'SQL'
CREATE TABLE typed (
  id INTEGER PRIMARY KEY, flag BOOLEAN, small SMALLINT, big BIGINT, u U64_TEXT,
  price DECIMAL_TEXT(12,4), wide DECIMAL_TEXT(50,10), f FLOAT, d DOUBLE, s TEXT, b BLOB,
  uid UUID, day DATE, t TIME, ts TIMESTAMP, tstz TIMESTAMPTZ, j JSON,
  updated_at TIMESTAMP, deleted_at TIMESTAMP);
INSERT INTO typed VALUES
 (1, 1, -32768, 9223372036854775807, '18446744073709551615', '12345678.1234',
  '1234567890123456789012345678901234567890.0123456789', 1.5, 0.1,
  'quote '' dq " back \ tab	nl
 emoji 😀', x'00ff10', '0b7e5c1e-1d8c-4c1e-9e4e-2d1c3b4a5f60', '2024-02-29', '20:17:40.5',
  '1900-01-01 00:00:00', '2262-04-11 23:47:16.854775', '{"a":[1,2,{"b":null}]}',
  '2024-01-01 00:00:00', NULL),
 (2, 0, 32767, -9223372036854775808, '0', '-0.0001', '-0.0000000001', -2.5, -1e308, '', x'',
  NULL, '2105-12-31', '00:00:00', '2038-01-19 03:14:08', '1970-01-01 00:00:00', '[]',
  '2024-01-01 00:00:00', NULL),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, '2024-01-02 00:00:00', NULL);
CREATE TABLE big (id INTEGER PRIMARY KEY, payload TEXT, updated_at TIMESTAMP);
CREATE TABLE nokey (msg TEXT, n INTEGER);
INSERT INTO nokey VALUES ('a', 1), ('b', 2);
CREATE TABLE "we""ird; tbl \ ü" ("col "" 1" INTEGER PRIMARY KEY, "sp ace;--" TEXT, "it's" TEXT);
INSERT INTO "we""ird; tbl \ ü" VALUES (1, 'a', 'b'), (2, 'c', NULL);
SQL
sqlite_sql "$SRC" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 3000)
  INSERT INTO big SELECT i, printf('row-%d', i), printf('2024-01-01 00:%02d:00', i % 50) FROM n;"

arus_ok "${cfg[@]}" -v sync p
grep -q "no TTL" "$WORK/err" || fail "no notice about the missing TTL: $(cat "$WORK/err")"

# Typed values under FINAL, as ClickHouse's TSV prints them (with ' and \ escaped). Servers
# without DateTime64 hold canonical timestamp text in String columns; the 50-digit decimal is
# String because Decimal stops at 38 digits.
got=$(q "SELECT id, flag, small, big, u, price, wide, f, d, s, hex(b), uid, day, t, ts, tstz, j,
  updated_at, deleted_at FROM $AN.typed FINAL ORDER BY id")
want=$(printf '%s\n' \
  "1	1	-32768	9223372036854775807	18446744073709551615	12345678.1234	1234567890123456789012345678901234567890.0123456789	1.5	0.1	quote \\' dq \" back \\\\ tab\\tnl\\n emoji 😀	00FF10	0b7e5c1e-1d8c-4c1e-9e4e-2d1c3b4a5f60	2024-02-29	20:17:40.5	1900-01-01 00:00:00	2262-04-11 23:47:16.854775	{\"a\":[1,2,{\"b\":null}]}	2024-01-01 00:00:00	\\N" \
  "2	0	32767	-9223372036854775808	0	-0.0001	-0.0000000001	-2.5	-1e308			\\N	2105-12-31	00:00:00	2038-01-19 03:14:08	1970-01-01 00:00:00	[]	2024-01-01 00:00:00	\\N" \
  "3	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	\\N	2024-01-02 00:00:00	\\N")
assert_eq "$got" "$want" "typed values"
assert_eq "$(q "SELECT type FROM system.columns WHERE database = '$AN' AND table = 'typed' AND name IN ('id', 'price', 'f', 'day', 'flag', 'uid') ORDER BY name" | tr '\n' ' ')" \
  "Nullable(Date) Nullable(Float32) Nullable(UInt8) Int64 Nullable(Decimal(12, 4)) Nullable(UUID) " "column types"
assert_eq "$(q "SELECT engine_full LIKE 'ReplacingMergeTree(_arus_version)%' FROM system.tables WHERE database = '$AN' AND name = 'typed'")" 1 "typed engine"
assert_eq "$(q "SELECT count(), uniqExact(id) FROM $AN.big FINAL")" "3000	3000" "big rows"
assert_eq "$(q "SELECT engine FROM system.tables WHERE database = '$AN' AND name = 'nokey'")" "MergeTree" "keyless engine"
assert_eq "$(q "SELECT count() FROM $AN.nokey_current")" 2 "keyless rows"
# hostile names: quotes, semicolons, backslash, unicode (backslash doubled inside `...`)
hq='SELECT `sp ace;--`, ifNull(`it'"'"'s`, '"'"'NULL'"'"') FROM '"$AN"'.`we"ird; tbl \\ ü_current` ORDER BY `col " 1`'
assert_eq "$(q "$hq" | tr '\n\t' ' /')" "a/b c/NULL " "hostile identifiers"

# Raw zone: one JSON row per extracted row, numbers exact, spec layout.
assert_eq "$(q "SELECT count() FROM $RAW.lite_typed_raw")" 3 "raw rows"
raw=$(q "SELECT _data FROM $RAW.lite_typed_raw WHERE visitParamExtractInt(_data, 'id') = 1")
[[ $raw == *'"big":9223372036854775807'* && $raw == *'"wide":1234567890123456789012345678901234567890.0123456789'* && $raw == *'"b":"AP8Q"'* ]] \
  || fail "raw JSON not faithful: $raw"
assert_eq "$(q "SELECT name, type FROM system.columns WHERE database = '$RAW' AND table = 'lite_typed_raw'" | tr '\n\t' '  ')" \
  "_arus_id UUID _arus_run_id String _data String _arus_synced_at DateTime " "raw layout"

# Update one row, soft-delete another: one row per key under FINAL, the deleted one hidden.
sqlite_sql "$SRC" "UPDATE typed SET s = 'changed', updated_at = '2024-02-01 00:00:00' WHERE id = 1;
  UPDATE typed SET deleted_at = '2024-02-02 00:00:00', updated_at = '2024-02-02 00:00:00' WHERE id = 2;"
arus_ok "${cfg[@]}" sync p
assert_eq "$(q "SELECT count(), uniqExact(id) FROM $AN.typed FINAL")" "3	3" "one row per key"
assert_eq "$(q "SELECT id FROM $AN.typed_current ORDER BY id" | tr '\n' ' ')" "1 3 " "soft delete hidden"
assert_eq "$(q "SELECT id FROM $AN.typed FINAL WHERE _arus_deleted = 1")" 2 "tombstone"
assert_eq "$(q "SELECT s FROM $AN.typed_current WHERE id = 1")" "changed" "update visible"

# Idempotent rerun: nothing new under FINAL.
before=$(q "SELECT id, s, _arus_deleted FROM $AN.typed FINAL ORDER BY id")
arus_ok "${cfg[@]}" sync p
assert_eq "$(q "SELECT id, s, _arus_deleted FROM $AN.typed FINAL ORDER BY id")" "$before" "rerun changes nothing"
assert_eq "$(q "SELECT count() FROM $AN.big_current")" 3000 "big after rerun"

# Schema drift: a new source column becomes a new ClickHouse column, the view follows.
sqlite_sql "$SRC" "ALTER TABLE typed ADD COLUMN extra TEXT;
  UPDATE typed SET extra = 'new', updated_at = '2024-03-01 00:00:00' WHERE id = 3;"
arus_ok "${cfg[@]}" sync p --table typed
assert_eq "$(q "SELECT extra FROM $AN.typed_current WHERE id = 3")" "new" "drifted column"

# Full refresh: shadow table loaded and swapped in, no shadow left behind.
sqlite_sql "$SRC" "DELETE FROM big WHERE id > 100"
arus_ok "${cfg[@]}" sync p --table big --full-refresh
assert_eq "$(q "SELECT count() FROM $AN.big_current")" 100 "full refresh rows"
assert_eq "$(q "SELECT count() FROM system.tables WHERE database = '$AN' AND name LIKE 'big__arus%'")" 0 "no shadow left"

# State and run history live in ClickHouse.
arus_ok "${cfg[@]}" --json state p
grep -q '"table":"typed","watermark":"2024-03-01 00:00:00"' "$WORK/out" || fail "state: $(cat "$WORK/out")"
arus_ok "${cfg[@]}" --json runs p
[ "$(grep -o '"status":"ok"' "$WORK/out" | wc -l)" -ge 10 ] || fail "runs: $(cat "$WORK/out")"

# A date outside ClickHouse's Date range is refused with one line naming table, column and
# value; the row is kept in <raw_schema>._dead_letters; with max_dead_letters 0 the table fails
# and its watermark does not move, with a budget the good rows load.
sqlite_sql "$SRC" "CREATE TABLE early (id INTEGER PRIMARY KEY, day DATE, updated_at TIMESTAMP);
  INSERT INTO early VALUES (1, '1969-12-31', '2024-01-01 00:00:00'), (2, '1999-01-01', '2024-01-01 00:00:00');"
rc=0; arus "${cfg[@]}" sync p --table early || rc=$?
assert_eq "$rc" 5 "exit code for an out-of-range date"
grep -q 'column "day": value "1969-12-31" outside ClickHouse.s Date range 1970-01-01..2105-12-31' "$WORK/err" \
  || fail "date range message: $(cat "$WORK/err")"
assert_eq "$(q "SELECT count() FROM $ST.watermarks FINAL WHERE table_name = 'early'")" 0 "no watermark for the failed table"
assert_eq "$(q "SELECT table_name, visitParamExtractString(row_data, 'day') FROM $RAW._dead_letters")" \
  "early	1969-12-31" "dead letter"
sed -i 's/^    load_mode: raw+normalized/    load_mode: raw+normalized\n    max_dead_letters: 5/' "$WORK/arus.yml"
arus_ok "${cfg[@]}" sync p --table early
assert_eq "$(q "SELECT id, day FROM $AN.early_current")" "2	1999-01-01" "good row loaded next to a dead letter"
assert_eq "$(q "SELECT watermark FROM $ST.watermarks FINAL WHERE table_name = 'early'")" "2024-01-01 00:00:00" "watermark after dead letters"

# One run per pipeline: while another process holds the lock, sync fails fast with exit 6.
lock="${TMPDIR:-/tmp}/arus-ch-$ARUS_CH_HOST-$ARUS_CH_HTTP_PORT-$ST-p.lock"
on_exit "rm -f '$lock'"
exec 9>"$lock"
flock -n 9
rc=0; arus "${cfg[@]}" sync p || rc=$?
exec 9>&-
assert_eq "$rc" 6 "exit code while the pipeline is running"
grep -q 'pipeline "p" is already running' "$WORK/err" || fail "busy message: $(cat "$WORK/err")"
echo ok
