#!/usr/bin/env bash
# Split loads that fail, SQLite -> PostgreSQL: a row the destination refuses (text that is not
# UTF-8) inside one range of a split full refresh fails the run (max_dead_letters 0) with the
# shadow and progress kept; the next run stops at the same row with the same error (the rows
# committed around it by the dead-letter bisection carry their range's progress: no duplicate
# key in the shadow); once the source row is fixed the next run resumes the unfinished range
# only and the copy equals the source. `arus reset` of the pipeline then forgets an unfinished
# split first load whose target the user dropped, so the next run starts over.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"

ROWS=30000
LITE="$WORK/src.db"
sqlite_sql "$LITE" "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT);
    WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < $ROWS)
    INSERT INTO t SELECT i, 'row ' || i FROM g;
    UPDATE t SET s = CAST(x'c328' AS TEXT) WHERE id = 25000"
{
    echo "sources:"
    echo "  lite: {type: sqlite, path: \"$LITE\"}"
    echo "destinations:"
    pg_endpoint pgdst postgresql
    echo "pipelines:"
    echo "  p: {source: lite, destination: pgdst, tables: [t], parallelism: 2, split_min_rows: 1000, batch_size: 1000}"
} >"$WORK/arus.yml"
export ARUS_LOG_LEVEL=info
refused='invalid byte sequence for encoding "UTF8": 0xc3 0x28'

for run in first second; do
    rc=0
    arus -c "$WORK/arus.yml" sync p --full-refresh || rc=$?
    [ "$rc" != 0 ] || fail "$run refresh with a refused row succeeded"
    grep -q "$refused" "$WORK/err" || fail "$run refresh: $(cat "$WORK/err")"
    grep -q 'duplicate key' "$WORK/err" && fail "$run refresh re-delivered rows: $(cat "$WORK/err")"
done
grep -q 'resuming split load' "$WORK/err" || fail "the second refresh did not resume: $(cat "$WORK/err")"
sqlite_sql "$LITE" "UPDATE t SET s = 'fixed' WHERE id = 25000"
arus_ok -c "$WORK/arus.yml" sync p --full-refresh
grep -q 'resuming split load: 1 of 8 key ranges remain' "$WORK/err" || fail "resume: $(cat "$WORK/err")"
assert_eq "$(pg_sql -c "SELECT count(*), count(DISTINCT id), max(s) FILTER (WHERE id = 25000) FROM analytics.t")" \
    "$ROWS|$ROWS|fixed" "copy after the resumed refresh"
assert_eq "$(pg_sql -c "SELECT md5(string_agg(id || s, ',' ORDER BY id)) FROM analytics.t")" \
    "$(sqlite_sql "$LITE" "SELECT id || s FROM t ORDER BY id" | paste -sd, | tr -d '\n' | md5sum | cut -d' ' -f1)" \
    "rows after the resumed refresh"

# an unfinished split first load, its target dropped by hand: reset forgets it
arus_ok -c "$WORK/arus.yml" reset p --yes
pg_sql -c "DROP TABLE analytics.t"
sqlite_sql "$LITE" "UPDATE t SET s = CAST(x'c328' AS TEXT) WHERE id = 25000"
arus -c "$WORK/arus.yml" sync p || true
grep -q 'split into 8 key ranges' "$WORK/err" || fail "first load not split: $(cat "$WORK/err")"
pg_sql -c "DROP SCHEMA analytics CASCADE"
sqlite_sql "$LITE" "UPDATE t SET s = 'fixed' WHERE id = 25000"
arus_ok -c "$WORK/arus.yml" reset p --yes
assert_eq "$(cat "$WORK/out")" 'reset pipeline "p": forgot an unfinished split load; the next sync starts over' "reset message"
assert_eq "$(pg_sql -c "SELECT count(*) FROM arus_state.watermarks WHERE pipeline = 'p'")" 0 "state rows after reset"
arus_ok -c "$WORK/arus.yml" sync p
grep -q 'resuming' "$WORK/err" && fail "a reset split load resumed: $(cat "$WORK/err")"
assert_eq "$(pg_sql -c "SELECT count(*), count(DISTINCT id) FROM analytics.t")" "$ROWS|$ROWS" "copy after reset"
echo "PASS"
