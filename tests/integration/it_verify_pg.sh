#!/usr/bin/env bash
# arus verify PostgreSQL -> PostgreSQL: every type the connector maps verifies equal after a
# sync; drift injected downstream (a changed, a missing and an extra row, in an incremental
# table and in a full-refresh one) exits 8 naming the keys; --repair clears it, leaves the
# watermarks alone, and a second verify exits 0. delete_missing removes hard-deleted rows.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
source "$(dirname "$0")/verify_lib.sh"

pg_create_alltypes
pg_sql <<'SQL'
CREATE TABLE src.events (id bigint PRIMARY KEY, v text NOT NULL, updated_at timestamptz,
                         deleted_at timestamptz);
INSERT INTO src.events
SELECT i, 'v' || i, timestamptz '2024-03-01 10:00:00+00' + i * interval '1 second', NULL
FROM generate_series(1, 3000) i;
UPDATE src.events SET deleted_at = '2024-03-02' WHERE id = 7;
CREATE TABLE src.plain (k text, n int, v text, PRIMARY KEY (k, n));
INSERT INTO src.plain SELECT 'k' || (i % 7), i, 'p' || i FROM generate_series(1, 500) i;
CREATE TABLE src.nokey (v text);
INSERT INTO src.nokey VALUES ('a');
SQL
pg_write_config src "    tables: [alltypes, events, plain, nokey]
    batch_size: 100"

arus_ok -c "$WORK/arus.yml" sync p
wm() { pg_sql -c "SELECT string_agg(table_name || '=' || coalesce(watermark, ''), ',' ORDER BY table_name) FROM arus_state.watermarks"; }
wm_before=$(wm)

arus_ok -c "$WORK/arus.yml" verify p --json
assert_eq "$(jq -r '.drift' "$WORK/out")" false "drift right after the sync"
assert_eq "$(jq -r '[.tables[] | "\(.table):\(.status)"] | join(" ")' "$WORK/out")" \
    "alltypes:equal events:equal plain:equal nokey:skipped" "table outcomes"
assert_eq "$(jq -r '.tables[] | select(.table == "events") | "\(.source_rows) \(.destination_rows) \(.source_checksum == .destination_checksum)"' "$WORK/out")" \
    "2999 2999 true" "events compared (the soft-deleted row is absent on both sides)"

pg_sql <<'SQL'
UPDATE analytics.events SET v = 'drift' WHERE id = 10;
DELETE FROM analytics.events WHERE id IN (20, 2999);
INSERT INTO analytics.events (id, v, updated_at, _arus_run_id)
VALUES (7, 'zombie', now(), gen_random_uuid()), (9000, 'extra', now(), gen_random_uuid());
UPDATE analytics.plain SET v = 'x' WHERE k = 'k3' AND n = 10;
DELETE FROM analytics.plain WHERE k = 'k1' AND n = 1;
UPDATE analytics.alltypes SET c_jsonb = '{"b": 1}' WHERE id = 1;
SQL
arus_exit 8 "verify on drift" -c "$WORK/arus.yml" verify p --json
assert_eq "$(verify_drift events)" "2 2 1 20;2999 7;9000 10" "events drift and keys"
assert_eq "$(verify_drift plain)" "1 0 1 k1, 1  k3, 10" "composite-key drift"
assert_eq "$(verify_drift alltypes)" "0 0 1   1" "alltypes drift"
# batches of 100 source rows (7 is soft-deleted): the drift falls in [1 .. 101], [2902 .. 3000] and the
# tail after the last source key (which holds 9000)
assert_eq "$(jq -r '.tables[] | select(.table == "events") | "\(.ranges) \(.ranges_differing) \([.differing_ranges[] | "\(.first)..\(.last) \(.source_rows)/\(.destination_rows)"] | join(" "))"' "$WORK/out")" \
    "31 3 1..101 100/100 2902..3000 99/98 3000..null 0/1" "events: differing key ranges"
arus_exit 8 "verify --table" -c "$WORK/arus.yml" verify p --table events
grep -q "missing: \[20\] \[2999\]" "$WORK/out" || fail "text output names the keys: $(cat "$WORK/out")"

arus_exit 8 "verify --repair (drift was found)" -c "$WORK/arus.yml" verify p --repair
arus_ok -c "$WORK/arus.yml" verify p
assert_eq "$(wm)" "$wm_before" "watermarks untouched by verify --repair"
assert_eq "$(pg_sql -c "SELECT v FROM analytics.events WHERE id = 10")" "v10" "changed row repaired"

# delete_missing: rows deleted outright in the source go away downstream after the next sync.
pg_write_config src "    tables: [alltypes, {name: events, delete_missing: true}, plain, nokey]
    batch_size: 100"
pg_sql -c "DELETE FROM src.events WHERE id IN (100, 101, 2500)"
arus_ok -c "$WORK/arus.yml" sync p --table events
assert_eq "$(pg_last_run events | cut -d' ' -f3-)" "3 ok" "rows deleted by delete_missing"
assert_eq "$(pg_sql -c 'SELECT count(*) FROM analytics.events WHERE id IN (100, 101, 2500)')" 0 \
    "hard-deleted rows gone downstream"
arus_ok -c "$WORK/arus.yml" verify p --table events
arus_ok -c "$WORK/arus.yml" sync p --table events
assert_eq "$(pg_last_run events | cut -d' ' -f3-)" "0 ok" "nothing deleted by the idle rerun"
# A table without a key cannot use delete_missing.
pg_write_config src "    tables: [{name: nokey, delete_missing: true}]"
arus_exit 3 "delete_missing without a primary key" -c "$WORK/arus.yml" sync p
grep -q "delete_missing needs a primary key" "$WORK/err" || fail "message: $(cat "$WORK/err")"
echo "ok"
