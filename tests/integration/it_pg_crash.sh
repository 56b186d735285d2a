#!/usr/bin/env bash
# Crash safety, PostgreSQL -> PostgreSQL: arus is SIGKILLed in the middle of a run (held
# mid-run deterministically by a table lock taken after its first committed batch), then rerun.
# Incremental: the destination ends equal to the source, without duplicates. Full refresh: the
# old table stays intact while the killed refresh is pending, and the next refresh replaces it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"

ROWS=200000
pg_sql <<SQL
CREATE SCHEMA src;
CREATE TABLE src.big (id bigint PRIMARY KEY, payload text NOT NULL, n numeric(20,4),
                      updated_at timestamptz NOT NULL);
INSERT INTO src.big SELECT i, md5(i::text), i / 7.0, timestamptz '2024-01-01' + i * interval '1 ms'
FROM generate_series(1, $ROWS) i;
SQL
pg_write_config src "    tables: [big]
    batch_size: 1000"

same_as_source() {
    pg_sql -c "SELECT count(*) FROM (
        (SELECT id, payload, n, updated_at FROM src.big
         EXCEPT ALL SELECT id, payload, n, updated_at FROM analytics.big)
        UNION ALL
        (SELECT id, payload, n, updated_at FROM analytics.big
         EXCEPT ALL SELECT id, payload, n, updated_at FROM src.big)) x"
}

# wait_for SQL: poll until the query returns t (30 s at most).
wait_for() {
    for _ in $(seq 300); do
        [ "$(pg_sql -c "$1" 2>/dev/null)" = t ] && return 0
        sleep 0.1
    done
    fail "timed out waiting for: $1"
}

# kill_mid_run TABLE_TO_LOCK READY_SQL [arus args...]: start a sync, wait for READY_SQL, lock
# the table so the next batch blocks, SIGKILL arus, release the lock, and wait until its
# orphaned server session is gone (it holds the pipeline lock until then).
kill_mid_run() {
    local table=$1 ready=$2
    shift 2
    "$ARUS" -c "$WORK/arus.yml" sync p "$@" >"$WORK/killed.out" 2>&1 &
    local pid=$!
    wait_for "$ready"
    pg_sql -c "BEGIN; LOCK TABLE $table IN SHARE MODE; SELECT pg_sleep(120)" >/dev/null 2>&1 &
    local locker=$!
    wait_for "SELECT count(*) > 0 FROM pg_stat_activity WHERE datname = current_database()
              AND application_name = 'arus' AND wait_event_type = 'Lock'"
    kill -9 "$pid"
    wait "$pid" 2>/dev/null || true
    pg_sql -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
               WHERE datname = current_database() AND query LIKE '%pg_sleep(120)%'
               AND pid <> pg_backend_pid()" >/dev/null
    wait "$locker" 2>/dev/null || true
    wait_for "SELECT count(*) = 0 FROM pg_stat_activity WHERE datname = current_database()
              AND application_name = 'arus'"
}

# Incremental run killed after some batches committed.
kill_mid_run analytics.big "SELECT to_regclass('arus_state.watermarks') IS NOT NULL AND
    EXISTS (SELECT 1 FROM arus_state.watermarks WHERE pipeline = 'p')"
partial=$(pg_sql -c 'SELECT count(*) FROM analytics.big')
[ "$partial" -gt 0 ] && [ "$partial" -lt "$ROWS" ] || fail "expected a partial load, got $partial rows"
arus_ok -c "$WORK/arus.yml" sync p
assert_eq "$(pg_sql -c 'SELECT count(*) FROM analytics.big')" "$ROWS" "rows after the rerun"
assert_eq "$(same_as_source)" 0 "rows differing after the rerun"

# Full refresh killed while loading its shadow: readers keep the old, complete table.
pg_sql -c "UPDATE src.big SET payload = 'refreshed' WHERE id % 1000 = 0"
kill_mid_run analytics.big__arus_shadow \
    "SELECT to_regclass('analytics.big__arus_shadow') IS NOT NULL AND
     EXISTS (SELECT 1 FROM analytics.big__arus_shadow)" --full-refresh
assert_eq "$(pg_sql -c 'SELECT count(*) FROM analytics.big')" "$ROWS" "old table intact after killed refresh"
assert_eq "$(pg_sql -c "SELECT count(*) FROM analytics.big WHERE payload = 'refreshed'")" 0 \
    "no refreshed rows visible before the swap"
arus_ok -c "$WORK/arus.yml" sync p --full-refresh
assert_eq "$(same_as_source)" 0 "rows differing after the refresh rerun"
assert_eq "$(pg_sql -c "SELECT to_regclass('analytics.big__arus_shadow') IS NULL")" t "shadow gone"
echo "ok"
