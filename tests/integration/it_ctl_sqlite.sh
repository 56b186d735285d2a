#!/usr/bin/env bash
# Operator controls on SQLite -> SQLite: a dropped or emptied typed table (and a dropped raw
# table, not an emptied one) while state holds a watermark reloads in full ("reload" in output
# and run history);
# arus reset (confirmation, unknown table); sync --from backfills without moving the watermark
# back; arus dead-letters lists refused rows and --replay loads them once the destination
# accepts them (and keeps them while it still refuses).
source "$(dirname "$0")/lib.sh"

SRC=$WORK/src.db
DST=$WORK/wh.db
sqlite_write_config "$SRC" "$DST" <<YML
    tables: [items]
    batch_size: 10
    max_dead_letters: 10
  both:
    source: lite
    destination: wh
    tables: [items]
    load_mode: raw+normalized
    target_schema: b
YML
# The warehouse refuses negative quantities.
sqlite_refusing_items "$SRC" "$DST"
count() { sqlite_sql "$DST" "SELECT count(*) FROM $1"; }

# ---- dead letters: list (text, json, one table), replay while still refused, replay when fixed
arus_ok -c "$WORK/arus.yml" sync p
assert_eq "$(count analytics__items)" 96 "good rows"
arus_ok -c "$WORK/arus.yml" dead-letters p
grep -q '^4 dead letter(s)$' "$WORK/out" || fail "list: $(cat "$WORK/out")"
grep -q 'CHECK constraint failed' "$WORK/out" || fail "reason listed: $(cat "$WORK/out")"
arus_ok -c "$WORK/arus.yml" --json dead-letters p --table items
assert_eq "$(jq -c '[.[].row.id]' "$WORK/out")" "[25,50,75,100]" "json rows"
arus_ok -c "$WORK/arus.yml" --json dead-letters p --table other
assert_eq "$(cat "$WORK/out")" "[]" "no dead letters of another table"
arus_fails 5 "replay while the destination still refuses" '4 of 4 dead letter(s) still refused by the destination (kept)' -c "$WORK/arus.yml" dead-letters p --replay
assert_eq "$(count staging___dead_letters)" 4 "refused rows kept"
# The destination is fixed: the rule goes.
sqlite_sql "$DST" "ALTER TABLE analytics__items RENAME TO old_items;
  CREATE TABLE analytics__items (id BIGINT NOT NULL, qty BIGINT, updated_at TIMESTAMP,
    _arus_run_id TEXT NOT NULL, _arus_synced_at TEXT NOT NULL, PRIMARY KEY (id));
  INSERT INTO analytics__items SELECT * FROM old_items; DROP TABLE old_items;"
arus_ok -c "$WORK/arus.yml" dead-letters p --replay
grep -q 'replayed 4 dead letter(s) of pipeline "p"; 0 still refused' "$WORK/out" || fail "replay: $(cat "$WORK/out")"
assert_eq "$(count analytics__items)" 100 "replayed rows loaded"
assert_eq "$(count staging___dead_letters)" 0 "replayed rows left the dead-letter table"
assert_eq "$(sqlite_sql "$DST" "SELECT qty, updated_at FROM analytics__items WHERE id = 50")" "-50|2024-01-01 00:00:50" "replayed row"

# ---- drift: dropped typed table, emptied typed table
sqlite_sql "$SRC" "UPDATE items SET qty = abs(qty) + 1, updated_at = '2024-01-02 00:00:00' WHERE id <= 2"
sqlite_sql "$DST" "DROP TABLE analytics__items"
arus_ok -c "$WORK/arus.yml" sync p
grep -q '^items  *reload  *extracted=100 loaded=100 ' "$WORK/out" || fail "reload output: $(cat "$WORK/out")"
grep -q 'the typed table is missing but state holds a watermark: reloading it in full' "$WORK/err" || fail "reload warning: $(cat "$WORK/err")"
assert_eq "$(count analytics__items)" 100 "all rows back after the drop"
arus_ok -c "$WORK/arus.yml" --json runs p --limit 1
assert_eq "$(jq -r '.[0].mode + " " + .[0].status' "$WORK/out")" "reload ok" "run history"
sqlite_sql "$DST" "DELETE FROM analytics__items"
# --log-format json: every stderr line is one JSON object (for log shippers)
arus_ok -c "$WORK/arus.yml" --log-format json sync p
assert_eq "$(jq -c '[.level, .component, (.message | test("typed table is empty.*reloading it in full")), (.time | test("^[0-9-]+T[0-9:]+Z$"))]' "$WORK/err")" \
  '["warn","sync",true,true]' "json log line"
rc=0; ARUS_LOG_FORMAT=json arus -c "$WORK/arus.yml" sync nope || rc=$?
assert_eq "$rc" 3 "unknown pipeline"
assert_eq "$(jq -r '.level + " " + .message' "$WORK/err")" "error $WORK/arus.yml: no pipeline named \"nope\"" "json error line"
arus_exit 2 "bad --log-format" -c "$WORK/arus.yml" --log-format xml sync p
sqlite_sql "$DST" "DELETE FROM analytics__items"
arus_ok -c "$WORK/arus.yml" --json sync p
assert_eq "$(jq -r '.tables[0].mode + ": " + .tables[0].reload_reason' "$WORK/out")" \
  "reload: the typed table is empty but state holds a watermark" "emptied table"
assert_eq "$(count analytics__items)" 100 "all rows back after the delete"
arus_ok -c "$WORK/arus.yml" sync p
grep -q '^items  *incremental  *extracted=2 loaded=0 ' "$WORK/out" || fail "steady state: $(cat "$WORK/out")"
# the raw table of a raw_and_normalized pipeline
arus_ok -c "$WORK/arus.yml" sync both
sqlite_sql "$DST" "DROP TABLE staging__lite_items_raw"
arus_ok -c "$WORK/arus.yml" --json sync both
assert_eq "$(jq -r '.tables[0].reload_reason' "$WORK/out")" "the raw table is missing but state holds a watermark" "raw table dropped"
assert_eq "$(count staging__lite_items_raw)" 100 "raw rows reloaded"
# an emptied raw table is retention at work, not drift
sqlite_sql "$DST" "DELETE FROM staging__lite_items_raw"
arus_ok -c "$WORK/arus.yml" --json sync both
assert_eq "$(jq -r '.tables[0].mode' "$WORK/out")" "incremental" "emptied raw table"

# ---- reset: confirmation, unknown table, one table, the reload after it
arus_fails 2 "reset without --yes off a terminal" 'confirm with --yes' -c "$WORK/arus.yml" reset p </dev/null
arus_exit 5 "reset of an unknown table" -c "$WORK/arus.yml" reset p --table nope --yes
assert_eq "$(cat "$WORK/err")" 'arus: reset: pipeline "p" has no stored state for table "nope"' "unknown table message"
arus_exit 3 "reset of an unknown pipeline" -c "$WORK/arus.yml" reset nopipe --yes
arus_ok -c "$WORK/arus.yml" reset p --table items --yes
assert_eq "$(cat "$WORK/out")" 'reset pipeline "p": forgot the stored state of 1 table(s): items; the next sync reloads it in full' "reset confirmation"
arus_ok -c "$WORK/arus.yml" --json state p
assert_eq "$(cat "$WORK/out")" "[]" "state forgotten"
arus_ok -c "$WORK/arus.yml" --json state both
assert_eq "$(jq length "$WORK/out")" 1 "other pipeline's state kept"
arus_ok -c "$WORK/arus.yml" --json sync p
assert_eq "$(jq -r '.tables[0].reload_reason' "$WORK/out")" "no state is stored but the typed table holds rows" "reload after reset"
arus_ok -c "$WORK/arus.yml" reset p --yes
grep -q 'forgot the stored state of 1 table(s): items; the next sync reloads them in full' "$WORK/out" || fail "reset all: $(cat "$WORK/out")"
arus_ok -c "$WORK/arus.yml" reset p --yes
assert_eq "$(cat "$WORK/out")" 'pipeline "p" has no stored state: nothing to reset' "nothing to reset"
arus_ok -c "$WORK/arus.yml" sync p

# ---- sync --from: backfill from a point, the stored watermark stays
arus_ok -c "$WORK/arus.yml" sync p --from 2024-01-01T00:01:00
grep -q '^items  *incremental  *extracted=43 loaded=0 ' "$WORK/out" || fail "backfill: $(cat "$WORK/out")"
assert_eq "$(sqlite_sql "$DST" "SELECT watermark FROM arus_state__watermarks WHERE pipeline = 'p'")" "2024-01-02 00:00:00" "watermark kept"
arus_ok -c "$WORK/arus.yml" sync p --from 2024-01-01
grep -q 'extracted=100 ' "$WORK/out" || fail "backfill from a date: $(cat "$WORK/out")"
arus_fails 5 "bad --from" '--from "yesterday" is not a timestamp (watermark column "updated_at")' -c "$WORK/arus.yml" sync p --from yesterday
arus_exit 2 "--from with --full-refresh" -c "$WORK/arus.yml" sync p --from 2024-01-01 --full-refresh
echo ok
