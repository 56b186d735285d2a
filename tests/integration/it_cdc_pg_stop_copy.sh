#!/usr/bin/env bash
# A stop during change data capture's initial copy (docs/cdc.md): SIGTERM to `sync --follow`
# while the copy runs ends it at the next batch with exit 0, records the run as aborted and
# stores no position; the next run copies again in a new snapshot and the copy equals the
# source. The copy is never split into key ranges (other connections would read outside the
# slot's snapshot), whatever `parallelism` says.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"

SLOT="stop_copy_$$"
on_exit "pg_sql -c \"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$SLOT'\""

pg_sql <<'SQL'
CREATE SCHEMA src;
CREATE TABLE src.big (id bigint PRIMARY KEY, v text, n numeric(12,2));
INSERT INTO src.big SELECT i, md5(i::text), i / 7.0 FROM generate_series(1, 300000) i;
ANALYZE src.big;
SQL
pg_write_config src "    sync_mode: cdc
    tables: [big]
    batch_size: 500
    parallelism: 2
    split_min_rows: 1000
    cdc: {slot: $SLOT, publication: stop_copy_pub, max_latency: 0.2s}"

"$ARUS" -v -c "$WORK/arus.yml" sync p --follow >"$WORK/follow.out" 2>"$WORK/follow.err" &
follower=$!
on_exit "kill -9 $follower"
# stop once the copy has committed some batches into its shadow table
for _ in $(seq 1 600); do
    [ "$(pg_sql -c "SELECT to_regclass('analytics.big__arus_shadow') IS NOT NULL")" = t ] &&
        [ "$(pg_sql -c "SELECT count(*) > 0 FROM analytics.big__arus_shadow" 2>/dev/null)" = t ] && break
    sleep 0.05
done
kill -TERM "$follower"
wait "$follower" || fail "sync --follow exited $? after SIGTERM during the copy: $(cat "$WORK/follow.err")"
grep -q "stopped before the load finished; the next run copies again" "$WORK/follow.err" ||
    fail "no stop line: $(cat "$WORK/follow.err")"
grep -q "split into" "$WORK/follow.err" && fail "the initial copy was split: $(cat "$WORK/follow.err")"
assert_eq "$(pg_sql -c "SELECT status FROM arus_state.runs WHERE pipeline = 'p' ORDER BY started_at DESC LIMIT 1")" \
    aborted "the stopped run's status"
assert_eq "$(pg_sql -c "SELECT count(*) FROM arus_state.watermarks WHERE pipeline = 'p' AND watermark IS NOT NULL")" \
    0 "positions or watermarks stored by the stopped copy"

# Rows change in between; the next run copies again in a new snapshot, then streams.
pg_sql -c "UPDATE src.big SET v = 'changed' WHERE id % 1000 = 0; DELETE FROM src.big WHERE id > 299990"
arus_ok -v -c "$WORK/arus.yml" sync p
grep -q "split into" "$WORK/err" && fail "the initial copy was split: $(cat "$WORK/err")"
pg_sql -c "INSERT INTO src.big VALUES (400000, 'after', 1)"
arus_ok -v -c "$WORK/arus.yml" sync p
assert_eq "$(pg_sql -c "SELECT count(*) FROM (SELECT id, v, n FROM src.big EXCEPT SELECT id, v, n FROM analytics.big) d")" 0 "source rows missing downstream"
assert_eq "$(pg_sql -c "SELECT count(*) FROM (SELECT id, v, n FROM analytics.big EXCEPT SELECT id, v, n FROM src.big) d")" 0 "extra rows downstream"
echo "PASS"
