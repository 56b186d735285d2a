#!/usr/bin/env bash
# SQLite -> ClickHouse under crashes, with ties: 50,000 rows sharing 3 watermark values, batch
# 1000. Injected aborts (between raw and typed load, after a batch's watermark) and real SIGKILLs
# mid-run, each followed by a rerun, leave exactly the source under FINAL: no lost row, one row
# per key, newest values. After each crash the stored watermark is never ahead of the data
# (ClickHouse has no transactions: data is written first, then the watermark).
source "$(dirname "$0")/lib.sh"

source "$(dirname "$0")/ch_lib.sh"
SRC=$WORK/src.db
cat >"$WORK/arus.yml" <<YML
sources:
  lite:
    type: sqlite
    path: $SRC
destinations:
$(ch_destination)
pipelines:
  p:
    source: lite
    destination: ch
    tables: [items]
    batch_size: 1000
    load_mode: raw+normalized
    max_retries: 0
YML
cfg=(-c "$WORK/arus.yml")

sqlite_sql "$SRC" "CREATE TABLE items (id INTEGER PRIMARY KEY, payload TEXT, updated_at TIMESTAMP);
  WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 50000)
  INSERT INTO items SELECT i, 'v1-' || i, '2024-01-0' || (1 + i % 3) || ' 00:00:00' FROM n;"

# same_as_source WHAT: the live rows under FINAL equal the source's rows.
same_as_source() {
    local want got
    want=$(sqlite_sql -separator $'\t' "$SRC" "SELECT id, payload, updated_at FROM items ORDER BY id" | md5sum)
    got=$(q "SELECT id, payload, updated_at FROM $AN.items_current ORDER BY id" | md5sum)
    assert_eq "$got" "$want" "$1: rows equal the source"
    assert_eq "$(q "SELECT count() - uniqExact(id) FROM $AN.items FINAL")" 0 "$1: one row per key"
}

# watermark_not_ahead WHAT: every source row below the stored watermark is in ClickHouse with
# its current payload.
watermark_not_ahead() {
    local wm missing
    wm=$(q "SELECT watermark FROM $ST.watermarks FINAL WHERE table_name = 'items'")
    [ -n "$wm" ] || return 0
    sqlite_sql -separator $'\t' "$SRC" "SELECT id, payload FROM items WHERE updated_at < '$wm'" | LC_ALL=C sort >"$WORK/below_src"
    q "SELECT id, payload FROM $AN.items FINAL WHERE updated_at < '$wm'" | LC_ALL=C sort >"$WORK/below_ch"
    missing=$(LC_ALL=C comm -23 "$WORK/below_src" "$WORK/below_ch" | wc -l)
    assert_eq "$missing" 0 "$1: source rows below watermark $wm missing in ClickHouse"
}

# Crash between the raw and the typed load of the 20th batch, then rerun.
rc=0; ARUS_FAULT=mid_load:20 ARUS_FAULT_ACTION=abort "$ARUS" "${cfg[@]}" sync p >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 99 "abort at mid_load"
watermark_not_ahead "abort at mid_load"
arus_ok "${cfg[@]}" sync p
same_as_source "rerun after abort at mid_load"

# Update 20,000 rows to a 4th watermark value; crash after the 7th committed batch; rerun.
sqlite_sql "$SRC" "UPDATE items SET payload = 'v2-' || id, updated_at = '2024-02-01 00:00:00' WHERE id % 5 < 2"
rc=0; ARUS_FAULT=after_commit:7 ARUS_FAULT_ACTION=abort "$ARUS" "${cfg[@]}" sync p >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 99 "abort after commit"
watermark_not_ahead "abort after commit"
arus_ok "${cfg[@]}" sync p
same_as_source "rerun after abort after commit"

# Real SIGKILLs while batches are being loaded, then a rerun.
sqlite_sql "$SRC" "UPDATE items SET payload = 'v3-' || id, updated_at = '2024-03-0' || (1 + id % 3) || ' 00:00:00'"
for i in 1 2 3; do
    before=$(q "SELECT count() FROM $RAW.lite_items_raw")
    "$ARUS" "${cfg[@]}" sync p >/dev/null 2>&1 &
    pid=$!
    # wait until this run has loaded something, then kill it without warning
    for _ in $(seq 200); do
        [ "$(q "SELECT count() FROM $RAW.lite_items_raw")" -gt "$before" ] && break
        sleep 0.02
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    watermark_not_ahead "SIGKILL $i"
done
# the two aborts and three kills interrupted runs: their history never reached "ok"/"failed";
# the next run of the pipeline records each as aborted (the last one's: the rerun below)
[ "$(q "SELECT count() FROM $ST.runs FINAL WHERE status IN ('running', 'aborted')")" -ge 5 ] \
  || fail "SIGKILLs did not interrupt runs: $(q "SELECT status, rows_loaded FROM $ST.runs FINAL")"
arus_ok "${cfg[@]}" sync p
same_as_source "rerun after SIGKILLs"
assert_eq "$(q "SELECT count() FROM $ST.runs FINAL WHERE status = 'running'")" 0 \
  "runs left running after the rerun"

# Idempotent: another run changes nothing visible.
arus_ok "${cfg[@]}" sync p
same_as_source "idempotent rerun"
echo ok
