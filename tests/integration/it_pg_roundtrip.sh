#!/usr/bin/env bash
# PostgreSQL -> PostgreSQL over every type the connector maps (NULLs, hostile text, 38-digit and
# huge numerics, NaN/±Infinity, pre-1970 and far-future timestamps, arrays, enums, intervals,
# inet, bytea): after an incremental run and after a full refresh every value compares equal;
# the raw zone holds exact JSON; a rerun without changes moves 0 rows; a table without a key
# is appended (full refresh, no duplicates).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"

pg_sql <<'SQL'
CREATE SCHEMA src;
CREATE TYPE src.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE src.alltypes (
  id bigint PRIMARY KEY, c_small smallint, c_int integer, c_num numeric(38,10),
  c_n38 numeric(38,0), c_numu numeric, c_real real, c_dbl double precision, c_bool boolean,
  c_text text, c_vc varchar(20), c_ch char(5), c_bytea bytea, c_uuid uuid, c_date date,
  c_time time, c_ts timestamp, c_tstz timestamptz, c_json json, c_jsonb jsonb, c_arr integer[],
  c_tarr text[], c_enum src.mood, c_iv interval, c_inet inet,
  updated_at timestamptz NOT NULL);
INSERT INTO src.alltypes VALUES
 (1, -32768, 2147483647, 1234567890123456789012345678.1234567890,
  99999999999999999999999999999999999999, 'NaN', 'NaN', 'Infinity', true,
  E'q''"\\ \t tab\nnl \r cr 😀 \\N', 'NULL', 'ab', '\x00ff10', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
  '1900-02-28', '23:59:59.999999', '1969-12-31 23:59:59.5', '1901-01-01 00:00:00+05',
  '{"a": [1, 2.50, "x"], "k\"ey": "\\u00e9"}', '{"b": null}', '{1,NULL,3}', '{"a b","c\"d",NULL}',
  'happy', '1 year 2 months 3 days 04:05:06.5', '192.168.0.1/24', '2024-01-01 00:00:00+00'),
 (2, 32767, -2147483648, -9999999999999999999999999999.9999999999,
  -99999999999999999999999999999999999999, '-Infinity', '-Infinity', '-Infinity', false, '',
  '\', ' ', '', '00000000-0000-0000-0000-000000000000', '0001-01-01', '00:00:00',
  '0001-01-01 00:00:00', '9999-12-31 23:59:59.999999+00', 'null', '[]', '{}', '{}', 'sad',
  '-1 days -00:00:00.000001', '::1', '2024-01-02 00:00:00+00'),
 (3, NULL, NULL, NULL, NULL, 1e100, 1.5e-30, 1e308, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2024-01-02 00:00:00+00'),
 (4, 0, 0, 0.0000000001, 0, 0.000000000000000000000000000000000000001, -0.0, 5e-324, true,
  E'\\', E'tab\tend', 'abcde', '\x5c6e', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '1970-01-01',
  '12:00:00.5', '1970-01-01 00:00:00', '1969-07-20 20:17:40.123456-04', '"\\t"', '123.4500',
  '{{1,2},{3,4}}', '{"\\\\","\t"}', 'ok', 'P1Y', '2001:db8::/32', '2024-01-02 00:00:00+00');
CREATE TABLE src.nokey (a integer, b text);
INSERT INTO src.nokey VALUES (1, 'x'), (1, 'x'), (NULL, NULL);
SQL

pg_write_config src "    tables: [alltypes, nokey]
    batch_size: 2
    load_mode: raw+normalized"

# Every column compared with its destination counterpart: arrays became jsonb, json became
# jsonb, enums/inet became text (inet compared as inet: its text cast adds the mask), char(n) became varchar(n) (padding kept).
compare_alltypes() {
    pg_sql <<'SQL'
SELECT count(*) FROM src.alltypes s FULL JOIN analytics.alltypes d USING (id)
WHERE s.id IS NULL OR d.id IS NULL OR
  (s.c_small, s.c_int, s.c_num, s.c_n38, s.c_numu, s.c_real, s.c_dbl, s.c_bool, s.c_text,
   s.c_vc, s.c_ch, s.c_bytea, s.c_uuid, s.c_date, s.c_time, s.c_ts, s.c_tstz, s.c_json::jsonb,
   s.c_jsonb, to_jsonb(s.c_arr), to_jsonb(s.c_tarr), s.c_enum::text, s.c_iv, s.c_inet,
   s.updated_at)
  IS DISTINCT FROM
  (d.c_small, d.c_int, d.c_num, d.c_n38, d.c_numu, d.c_real, d.c_dbl, d.c_bool, d.c_text,
   d.c_vc, d.c_ch::char(5), d.c_bytea, d.c_uuid, d.c_date, d.c_time, d.c_ts, d.c_tstz, d.c_json,
   d.c_jsonb, d.c_arr, d.c_tarr, d.c_enum, d.c_iv, d.c_inet::inet, d.updated_at)
SQL
}

arus_ok -c "$WORK/arus.yml" sync p
assert_eq "$(compare_alltypes)" 0 "rows differing after the first sync"
assert_eq "$(pg_sql -c 'SELECT count(*) FROM analytics.alltypes')" 4 "rows in analytics.alltypes"
assert_eq "$(pg_sql -c "SELECT format_type(atttypid, atttypmod) FROM pg_attribute
    WHERE attrelid = 'analytics.alltypes'::regclass AND attname = 'c_num'")" "numeric(38,10)" \
    "c_num keeps precision and scale"
assert_eq "$(pg_sql -c 'SELECT count(*) FROM analytics.nokey')" 3 "rows appended to nokey"
assert_eq "$(pg_sql -c "SELECT string_agg(a || b, ',') FROM analytics.nokey WHERE a IS NOT NULL")" \
    "1x,1x" "nokey duplicates kept as in the source"

# Raw zone: one row per extracted row, numbers exact, timestamps as UTC strings.
assert_eq "$(pg_sql -c 'SELECT count(*) FROM staging.pgsrc_alltypes_raw')" 4 "raw rows"
assert_eq "$(pg_sql -c "SELECT _data->'c_n38' FROM staging.pgsrc_alltypes_raw WHERE _data->>'id' = '1'")" \
    "99999999999999999999999999999999999999" "raw 38-digit number exact"
assert_eq "$(pg_sql -c "SELECT _data->>'c_tstz' FROM staging.pgsrc_alltypes_raw WHERE _data->>'id' = '1'")" \
    "1900-12-31T19:00:00Z" "raw timestamptz in UTC"
assert_eq "$(pg_sql -c "SELECT _data->>'c_text' FROM staging.pgsrc_alltypes_raw WHERE _data->>'id' = '4'")" \
    '\' "raw lone backslash"

# No source change: the inclusive re-read of the last watermark merges nothing.
arus_ok -c "$WORK/arus.yml" sync p
assert_eq "$(pg_last_run alltypes | cut -d' ' -f2)" 0 "rows loaded by the unchanged rerun"
assert_eq "$(compare_alltypes)" 0 "rows differing after the rerun"

# A full refresh swaps in an identical table (twice: the shadow's key name must not collide).
arus_ok -c "$WORK/arus.yml" sync p --full-refresh
arus_ok -c "$WORK/arus.yml" sync p --full-refresh
assert_eq "$(compare_alltypes)" 0 "rows differing after full refresh"
assert_eq "$(pg_sql -c 'SELECT count(*) FROM analytics.nokey')" 3 "nokey rows after full refresh"
assert_eq "$(pg_sql -c "SELECT count(*) FROM pg_class WHERE relname LIKE '%arus_shadow%'")" 0 \
    "no shadow table left behind"
echo "ok"
