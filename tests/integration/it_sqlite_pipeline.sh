#!/usr/bin/env bash
# SQLite -> SQLite through the CLI: every type round-trips, reruns move nothing, updates and
# soft deletes propagate, hostile identifiers, the pipeline lock, injected crashes at every
# engine fault point and real SIGKILLs followed by reruns, and one-line errors with distinct
# exit codes for bad input.
source "$(dirname "$0")/lib.sh"

SRC=$WORK/src.db
DST=$WORK/wh.db
cat >"$WORK/arus.yml" <<YML
sources:
  lite:
    type: sqlite
    path: $SRC
destinations:
  wh:
    type: sqlite
    path: \${IT_WH_PATH}
pipelines:
  p:
    source: lite
    destination: wh
    tables: ["*"]
    batch_size: 7
    load_mode: raw+normalized
    max_retries: 2
    initial_backoff: 0.1
YML
export IT_WH_PATH=$DST
cfg=(-c "$WORK/arus.yml")

sqlite_sql "$SRC" <<'SQL'
CREATE TABLE typed (
  id INTEGER PRIMARY KEY, flag BOOLEAN, small SMALLINT, big BIGINT, dec DECIMAL_TEXT(38,10),
  f DOUBLE, s TEXT, v VARCHAR(10), b BLOB, d DATE, t TIME, ts TIMESTAMP, tstz TIMESTAMPTZ,
  j JSON, u UUID, updated_at TIMESTAMP, deleted_at TIMESTAMP);
INSERT INTO typed VALUES
 (1, 1, -32768, 9223372036854775807, '1234567890123456789012345678.0123456789', 1.5,
  'quote '' dq " back \ tab	nl
 emoji 😀', 'x', x'00ff10', '1969-07-20', '20:17:40.5', '1900-01-01 00:00:00',
  '2262-04-11 23:47:16.854775', '{"a":[1,2,{"b":null}]}', '0b7e5c1e-1d8c-4c1e-9e4e-2d1c3b4a5f60',
  '2024-01-01 00:00:00', NULL),
 (2, 0, 32767, -9223372036854775808, '-0.0000000001', -1e308, '', NULL, x'', '9999-12-31',
  '00:00:00', '2038-01-19 03:14:08', '1970-01-01 00:00:00', '[]', NULL,
  '2024-01-01 00:00:00', NULL),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  '2024-01-02 00:00:00', NULL);
CREATE TABLE "we""ird; tbl ü" ("col "" 1" INTEGER PRIMARY KEY, "sp ace;--" TEXT, "ä" TEXT);
INSERT INTO "we""ird; tbl ü" VALUES (1, 'a', 'b'), (2, 'c', NULL);
CREATE TABLE big (id INTEGER PRIMARY KEY, payload TEXT, updated_at TIMESTAMP);
SQL
sqlite_sql "$SRC" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 3000)
  INSERT INTO big SELECT i, printf('row-%d', i), printf('2024-01-01 00:%02d:00', i % 50) FROM n;"

arus_ok "${cfg[@]}" sync p
grep -q '^typed .*loaded=3 ' "$WORK/out" || fail "first sync summary: $(cat "$WORK/out")"

# (SQLite itself stores DECIMAL(p,s) through a double: DECIMAL_TEXT keeps the source exact.)
# Values compare equal (quote() renders each stored value with its storage class).
cols="id, flag, small, big, dec, f, s, v, hex(b), d, t, ts, tstz, j, u, updated_at"
want=$(sqlite_sql "$SRC" "SELECT quote(id), quote(flag), quote(small), quote(big), CAST(dec AS TEXT),
  quote(f), quote(s), quote(v), hex(b), d, t, ts, tstz, j, u, updated_at FROM typed ORDER BY id")
got=$(sqlite_sql "$DST" "SELECT quote(id), quote(flag), quote(small), quote(big), CAST(dec AS TEXT),
  quote(f), quote(s), quote(v), hex(b), d, t, ts, tstz, j, u, updated_at FROM analytics__typed ORDER BY id")
want=${want//1234567890123456789012345678.0123456789/EXACT}
[ "$(sqlite_sql "$DST" "SELECT dec FROM analytics__typed WHERE id = 1")" = "1234567890123456789012345678.0123456789" ] \
  || fail "38-digit decimal not exact: $(sqlite_sql "$DST" "SELECT dec FROM analytics__typed WHERE id = 1")"
got=${got//1234567890123456789012345678.0123456789/EXACT}
assert_eq "$got" "$want" "typed values after round trip"
assert_eq "$(sqlite_sql "$DST" "SELECT count(*) FROM analytics__big")" 3000 "big rows"
assert_eq "$(sqlite_sql "$DST" "SELECT \"sp ace;--\" || '/' || ifnull(\"ä\", 'NULL') FROM \"analytics__we\"\"ird; tbl ü\" ORDER BY 1" | tr '\n' ' ')" "a/b c/NULL " "hostile identifiers"
# Raw zone keeps exact numbers and typed JSON.
raw=$(sqlite_sql "$DST" "SELECT _data FROM staging__lite_typed_raw WHERE json_extract(_data, '\$.id') = 1")
[[ $raw == *'"big":9223372036854775807'* && $raw == *'"dec":1234567890123456789012345678.0123456789'* && $raw == *'"j":{"a":[1,2,{"b":null}]}'* && $raw == *'"b":"AP8Q"'* ]] \
  || fail "raw JSON not faithful: $raw"

# A rerun with no source change moves nothing (the inclusive re-read at the watermark is
# extracted again but changes no row).
arus_ok "${cfg[@]}" --json sync p
grep -q '"table":"typed","mode":"incremental","rows_extracted":[0-9]*,"rows_loaded":0,' "$WORK/out" \
  && grep -q '"table":"big","mode":"incremental","rows_extracted":[0-9]*,"rows_loaded":0,' "$WORK/out" \
  || fail "idempotent rerun moved rows: $(cat "$WORK/out")"

# Update and soft delete propagate; a new column appears (schema drift).
sqlite_sql "$SRC" "UPDATE typed SET s = 'changed', updated_at = '2024-02-01 00:00:00' WHERE id = 2;
  UPDATE typed SET deleted_at = '2024-02-01 00:00:00', updated_at = '2024-02-01 00:00:00' WHERE id = 3;
  ALTER TABLE typed ADD COLUMN tier TEXT; UPDATE typed SET tier = 'gold', updated_at = '2024-02-02 00:00:00' WHERE id = 1;"
arus_ok "${cfg[@]}" --json sync p --table typed
grep -q '"rows_loaded":2,"rows_deleted":1' "$WORK/out" || fail "update/delete run: $(cat "$WORK/out")"
assert_eq "$(sqlite_sql "$DST" "SELECT group_concat(id || ':' || ifnull(tier, '-') || ':' || (s = 'changed'), ' ') FROM (SELECT * FROM analytics__typed ORDER BY id)")" \
  "1:gold:0 2:-:1" "after update, delete and drift"

# state and runs
arus_ok "${cfg[@]}" --json state p
grep -q '"table":"typed","watermark":"2024-02-02 00:00:00"' "$WORK/out" || fail "state: $(cat "$WORK/out")"
arus_ok "${cfg[@]}" --json runs p --limit 50
[ "$(grep -o '"status":"ok"' "$WORK/out" | wc -l)" -ge 7 ] || fail "runs: $(cat "$WORK/out")"

# One run per pipeline: a held lock makes a second run fail fast with exit 6.
exec 9>"$DST.p.arus-lock"
flock -n 9
rc=0; arus "${cfg[@]}" sync p || rc=$?
exec 9>&-
assert_eq "$rc" 6 "exit code while the pipeline is running"
grep -q 'pipeline "p" is already running' "$WORK/err" || fail "busy message: $(cat "$WORK/err")"

# Injected crashes (process exits at the point, no clean-up), then a rerun converges.
day=0
for point in after_extract mid_load before_commit after_commit soft_delete swap; do
  day=$((day + 1))
  sqlite_sql "$SRC" "UPDATE big SET payload = payload || '+', updated_at = '2024-03-0$day 00:00:00' WHERE id % 97 = 0;
                     UPDATE typed SET deleted_at = '2024-03-01', updated_at = '2024-03-0$day 00:00:00' WHERE id = 2 AND '$point' = 'soft_delete';"
  extra=(); [ "$point" = swap ] && extra=(--full-refresh)
  rc=0; ARUS_FAULT=$point:2 ARUS_FAULT_ACTION=abort "$ARUS" "${cfg[@]}" sync p "${extra[@]}" >/dev/null 2>&1 || rc=$?
  [ "$rc" = 99 ] || [ "$point" = soft_delete ] || fail "fault $point did not fire (exit $rc)"
  arus_ok "${cfg[@]}" sync p
  for t in big typed; do
    a=$(sqlite_sql "$SRC" "SELECT group_concat(id || '=' || ifnull(updated_at,''), ',') FROM (SELECT * FROM $t WHERE deleted_at IS NULL OR '$t' = 'big' ORDER BY id)" 2>/dev/null || true)
    [ "$t" = big ] && a=$(sqlite_sql "$SRC" "SELECT count(*), sum(length(payload)) FROM big")
    [ "$t" = big ] && b=$(sqlite_sql "$DST" "SELECT count(*), sum(length(payload)) FROM analytics__big")
    [ "$t" = typed ] && b=$(sqlite_sql "$DST" "SELECT group_concat(id || '=' || ifnull(updated_at,''), ',') FROM (SELECT * FROM analytics__typed ORDER BY id)")
    assert_eq "$b" "$a" "$t after crash at $point"
  done
  assert_eq "$(sqlite_sql "$DST" "SELECT count(*) - count(DISTINCT id) FROM analytics__big")" 0 "duplicates after $point"
done

# Real SIGKILLs at random moments during a bigger sync, then a rerun.
sqlite_sql "$SRC" "WITH RECURSIVE n(i) AS (SELECT 3001 UNION ALL SELECT i+1 FROM n WHERE i < 60000)
  INSERT INTO big SELECT i, printf('row-%d', i), printf('2024-04-01 %02d:%02d:00', (i / 60) % 24, i % 60) FROM n;"
for i in 1 2 3 4 5; do
  "$ARUS" "${cfg[@]}" sync p --table big >/dev/null 2>&1 &
  pid=$!
  sleep "0.$((RANDOM % 9 + 1))"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
done
arus_ok "${cfg[@]}" sync p --table big
assert_eq "$(sqlite_sql "$DST" "SELECT count(*), count(DISTINCT id), sum(length(payload)) FROM analytics__big")" \
          "$(sqlite_sql "$SRC" "SELECT count(*), count(*), sum(length(payload)) FROM big")" "big after SIGKILLs"

# Bad input: one line, distinct exit codes, nothing moves.
rc=0; arus -c "$WORK/missing.yml" sync p || rc=$?; assert_eq "$rc" 3 "missing config exit"
rc=0; arus "${cfg[@]}" sync nope || rc=$?; assert_eq "$rc" 3 "unknown pipeline exit"
grep -q 'no pipeline named "nope"' "$WORK/err" || fail "unknown pipeline message: $(cat "$WORK/err")"
rc=0; env -u IT_WH_PATH "$ARUS" "${cfg[@]}" sync p >"$WORK/out" 2>"$WORK/err" || rc=$?
assert_eq "$rc" 3 "missing env var exit"
grep -q "arus.yml:[0-9]*:.*IT_WH_PATH" "$WORK/err" || fail "missing env message: $(cat "$WORK/err")"
assert_eq "$(wc -l <"$WORK/err")" 1 "error is one line"
rc=0; IT_WH_PATH=/nonexistent/dir/wh.db "$ARUS" "${cfg[@]}" sync p >"$WORK/out" 2>"$WORK/err" || rc=$?
assert_eq "$rc" 4 "unopenable destination exit"
# Never connected: no retries (those are for servers that go away mid-run), one line.
assert_eq "$(cat "$WORK/err")" 'arus: open "wh" at /nonexistent/dir/wh.db: unable to open database file' "unopenable destination message"
rc=0; arus "${cfg[@]}" sync p --table nosuch || rc=$?; assert_eq "$rc" 5 "missing table exit"
rc=0; arus "${cfg[@]}" frobnicate || rc=$?; assert_eq "$rc" 2 "usage exit"
arus_ok "${cfg[@]}" check
arus_ok "${cfg[@]}" --json discover lite
grep -q '"table":"typed".*"sync_mode":"incremental","watermark_column":"updated_at","deleted_at_column":"deleted_at"' "$WORK/out" \
  || fail "discover: $(head -c 600 "$WORK/out")"
# SQLite has no schemas: one line and the "not supported" exit code.
rc=0; arus "${cfg[@]}" discover lite --schemas || rc=$?; assert_eq "$rc" 7 "discover --schemas exit"
assert_eq "$(cat "$WORK/err")" 'arus: source "lite" (sqlite) has no schemas' "discover --schemas message"
echo "ok"
