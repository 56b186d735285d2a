#!/usr/bin/env bash
# PostgreSQL -> PostgreSQL incremental semantics: 50,000 rows sharing 3 updated_at values with
# batch size 1,000 all arrive (ties never split across batches lose rows); a rerun without
# changes loads 0 rows; updates, inserts and soft deletes propagate, and the run after that
# loads and deletes nothing again. A row inserted with a NULL watermark arrives (such rows are
# read on every run).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"

pg_sql <<'SQL'
CREATE SCHEMA src;
CREATE TABLE src.events (id bigint PRIMARY KEY, v text NOT NULL, updated_at timestamptz,
                         deleted_at timestamptz);
INSERT INTO src.events
SELECT i, 'v' || i, timestamptz '2024-03-01 10:00:00.123456+00' + (i % 3) * interval '1 hour', NULL
FROM generate_series(1, 50000) i;
SQL

pg_write_config src "    tables: [events]
    batch_size: 1000"

same_as_source() {
    pg_sql <<'SQL'
SELECT count(*) FROM (SELECT id, v, updated_at FROM src.events WHERE deleted_at IS NULL) s
FULL JOIN analytics.events d USING (id)
WHERE s.id IS NULL OR d.id IS NULL OR (s.v, s.updated_at) IS DISTINCT FROM (d.v, d.updated_at)
SQL
}

arus_ok -c "$WORK/arus.yml" sync p
assert_eq "$(pg_sql -c 'SELECT count(*) FROM analytics.events')" 50000 "rows after the first run"
assert_eq "$(same_as_source)" 0 "rows differing after the first run"
assert_eq "$(pg_sql -c "SELECT watermark FROM arus_state.watermarks WHERE pipeline = 'p'")" \
    "2024-03-01 12:00:00.123456" "stored watermark (UTC, microseconds)"

arus_ok -c "$WORK/arus.yml" sync p
assert_eq "$(pg_last_run events | cut -d' ' -f2-)" "0 0 ok" "loaded/deleted by the unchanged rerun"
# The same through the CLI (list_runs / list_state of the destination).
arus_ok -c "$WORK/arus.yml" runs p --json
assert_eq "$(jq -r '.[0] | "\(.table) \(.status) \(.rows_loaded)"' "$WORK/out")" "events ok 0" "arus runs --json"
assert_eq "$(jq -r '.[1].rows_loaded' "$WORK/out")" 50000 "arus runs --json, first run"
arus_ok -c "$WORK/arus.yml" state p --json
assert_eq "$(jq -r '.[0] | "\(.table)|\(.watermark)"' "$WORK/out")" "events|2024-03-01 12:00:00.123456" \
    "arus state --json"

pg_sql <<'SQL'
UPDATE src.events SET v = 'changed', updated_at = '2024-03-02 00:00:00+00' WHERE id % 5000 = 0;
UPDATE src.events SET deleted_at = now(), updated_at = '2024-03-02 00:00:01+00'
WHERE id IN (1, 2, 3, 24999, 49999);
INSERT INTO src.events VALUES (50001, 'new', '2024-03-02 00:00:02+00', NULL),
                              (50002, 'new', NULL, NULL);
SQL
arus_ok -c "$WORK/arus.yml" sync p
assert_eq "$(same_as_source | tr -d ' ')" 0 "rows differing after updates (the NULL-watermark insert too)"
assert_eq "$(pg_sql -c "SELECT count(*) FROM analytics.events WHERE v = 'changed'")" 10 "updated rows"
assert_eq "$(pg_sql -c 'SELECT count(*) FROM analytics.events WHERE id IN (1, 2, 3, 24999, 49999)')" 0 \
    "soft-deleted rows removed"
assert_eq "$(pg_sql -c 'SELECT count(*) FROM analytics.events WHERE id = 50001')" 1 "inserted row"
assert_eq "$(pg_last_run events | cut -d' ' -f3)" 5 "rows deleted"

arus_ok -c "$WORK/arus.yml" sync p
assert_eq "$(pg_last_run events | cut -d' ' -f2-)" "0 0 ok" "loaded/deleted by the next unchanged rerun"

# A full refresh gives the same table and leaves soft-deleted rows out.
arus_ok -c "$WORK/arus.yml" sync p --full-refresh
assert_eq "$(same_as_source)" 0 "rows differing after a full refresh"
echo "ok"
