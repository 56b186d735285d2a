#!/usr/bin/env bash
# PostgreSQL -> PostgreSQL over every type the connector maps (NULLs, hostile text, 38-digit and
# huge numerics, NaN/±Infinity, pre-1970 and far-future timestamps, arrays, enums, intervals,
# inet, bytea): after an incremental run and after a full refresh every value compares equal;
# the raw zone holds exact JSON; a rerun without changes moves 0 rows; a table without a key
# is appended (full refresh, no duplicates).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"

pg_create_alltypes
pg_sql <<'SQL'
CREATE TABLE src.nokey (a integer, b text);
INSERT INTO src.nokey VALUES (1, 'x'), (1, 'x'), (NULL, NULL);
SQL

pg_write_config src "    tables: [alltypes, nokey]
    batch_size: 2
    load_mode: raw+normalized"

arus_ok -c "$WORK/arus.yml" sync p
assert_eq "$(pg_compare_alltypes analytics.alltypes)" 0 "rows differing after the first sync"
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
assert_eq "$(pg_compare_alltypes analytics.alltypes)" 0 "rows differing after the rerun"

# A full refresh swaps in an identical table (twice: the shadow's key name must not collide).
arus_ok -c "$WORK/arus.yml" sync p --full-refresh
arus_ok -c "$WORK/arus.yml" sync p --full-refresh
assert_eq "$(pg_compare_alltypes analytics.alltypes)" 0 "rows differing after full refresh"
assert_eq "$(pg_sql -c 'SELECT count(*) FROM analytics.nokey')" 3 "nokey rows after full refresh"
assert_eq "$(pg_sql -c "SELECT count(*) FROM pg_class WHERE relname LIKE '%arus_shadow%'")" 0 \
    "no shadow table left behind"
echo "ok"
