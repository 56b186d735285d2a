#!/usr/bin/env bash
# PostgreSQL failures give one clear line, the documented exit code and leave state untouched:
# bad credentials (and the password never printed), unreachable port, statement timeout,
# missing table, a pipeline already running (advisory lock held elsewhere), and a destination
# table whose existing data rejects a batch (the watermark must not move).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"

pg_sql <<'SQL'
CREATE SCHEMA src;
CREATE TABLE src.t (id int PRIMARY KEY, v text, updated_at timestamptz NOT NULL);
INSERT INTO src.t VALUES (1, 'a', '2024-01-01'), (2, 'b', '2024-01-02');
SQL

# expect_fail CODE PATTERN WHAT: the last arus call exited CODE with one stderr line matching
# PATTERN.
expect_fail() {
    local rc=$1
    [ "$rc" -eq "$2" ] || fail "$4: exit $rc, expected $2 ($(cat "$WORK/err"))"
    grep -q -- "$3" "$WORK/err" || fail "$4: message '$(cat "$WORK/err")' lacks '$3'"
    [ "$(arus_err_lines)" -eq 1 ] || fail "$4: expected one line, got: $(cat "$WORK/err")"
}

no_state() {
    [ "$(pg_sql -c "SELECT to_regclass('arus_state.watermarks') IS NULL")" = t ] ||
        assert_eq "$(pg_sql -c 'SELECT count(*) FROM arus_state.watermarks')" 0 "$1: state untouched"
}

# Connection failures run with max_retries: 0 (the engine would retry them with backoff).
# Bad credentials (the test server trusts local TCP, so an unknown role stands in for a wrong
# password): one line naming endpoint and server, and the secret never printed.
export ARUS_IT_BAD_PW="Sekr3t-$IT_ID"
pg_write_config src "    tables: [t]
    max_retries: 0"
sed -i 's/username: [^,]*, password: "${ARUS_PG_PASSWORD}", database: \([^,}]*\), schema/username: nobody_x, password: "${ARUS_IT_BAD_PW}", database: \1, schema/' "$WORK/arus.yml"
rc=0; arus -c "$WORK/arus.yml" sync p || rc=$?
expect_fail "$rc" 4 "connect to \"pgsrc\" at $ARUS_PG_HOST:$ARUS_PG_PORT: role \"nobody_x\" does not exist" \
    "bad credentials"
grep -q -- "$ARUS_IT_BAD_PW" "$WORK/err" "$WORK/out" && fail "password printed"
no_state "bad credentials"

# Unreachable port.
pg_write_config src "    tables: [t]
    max_retries: 0"
sed -i "0,/port: $ARUS_PG_PORT/s//port: 1/" "$WORK/arus.yml"
rc=0; arus -c "$WORK/arus.yml" sync p || rc=$?
expect_fail "$rc" 4 "connect to \"pgsrc\" at $ARUS_PG_HOST:1: " "unreachable port"
no_state "unreachable port"

# Statement timeout: a view that sleeps longer than the endpoint's statement_timeout.
pg_sql -c "CREATE VIEW src.slow AS SELECT 1 AS id, pg_sleep(5)::text AS z"
pg_write_config src "    tables: [slow]
    max_retries: 0"
sed -i '0,/schema: "src"}/s//schema: "src", statement_timeout: 1s}/' "$WORK/arus.yml"
rc=0; arus -c "$WORK/arus.yml" sync p || rc=$?
[ "$rc" -ne 0 ] || fail "statement timeout: exit 0"
grep -q 'extract "slow": canceling statement due to statement timeout' "$WORK/err" ||
    fail "statement timeout: $(cat "$WORK/err")"
no_state "statement timeout"

# Missing table.
pg_write_config src "    tables: [nope]"
rc=0; arus -c "$WORK/arus.yml" sync p || rc=$?
[ "$rc" -ne 0 ] || fail "missing table: exit 0"
grep -q 'table "nope" not found' "$WORK/err" || fail "missing table: $(cat "$WORK/err")"
no_state "missing table"

# Pipeline busy: another session holds the advisory lock.
pg_write_config src "    tables: [t]
    max_retries: 0"
pg_sql -c "SELECT pg_advisory_lock(hashtext('arus:p')), pg_sleep(60)" >/dev/null 2>&1 &
holder=$!
on_exit "kill $holder"
for _ in $(seq 100); do
    [ "$(pg_sql -c "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE d.datname = current_database() AND l.locktype = 'advisory' AND l.granted")" = 1 ] && break
    sleep 0.1
done
rc=0; arus -c "$WORK/arus.yml" sync p || rc=$?
expect_fail "$rc" 6 'pipeline "p" is already running (advisory lock held on pgdst)' "busy"
pg_sql -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()" >/dev/null
wait "$holder" 2>/dev/null || true

# A batch the destination rejects (a CHECK constraint there) while the source is still
# streaming: the run fails with the server's reason, the watermark stays where it was, and the
# cancelled stream leaves the source connection usable for the next table.
pg_sql <<'SQL'
CREATE TABLE src.u (id int PRIMARY KEY, updated_at timestamptz NOT NULL);
INSERT INTO src.u SELECT i, '2024-01-01'::timestamptz + i * interval '1 s' FROM generate_series(1, 5) i;
SQL
pg_write_config src "    tables: [t, u]
    batch_size: 100"
arus_ok -c "$WORK/arus.yml" sync p
wm=$(pg_sql -c "SELECT watermark FROM arus_state.watermarks WHERE pipeline = 'p' AND table_name = 't'")
pg_sql <<'SQL'
ALTER TABLE analytics.t ADD CONSTRAINT no_x CHECK (v <> 'x');
INSERT INTO src.t SELECT i, CASE WHEN i = 3 THEN 'x' ELSE 'ok' END,
    '2024-02-01'::timestamptz + i * interval '1 s' FROM generate_series(3, 20002) i;
INSERT INTO src.u SELECT i, '2024-02-01'::timestamptz + i * interval '1 s' FROM generate_series(6, 10) i;
SQL
rc=0; arus -c "$WORK/arus.yml" sync p || rc=$?
[ "$rc" -ne 0 ] || fail "rejected batch: exit 0"
grep -q 'no_x' "$WORK/err" || fail "rejected batch: $(cat "$WORK/err")"
assert_eq "$(pg_sql -c "SELECT watermark FROM arus_state.watermarks WHERE pipeline = 'p' AND table_name = 't'")" \
    "$wm" "watermark after a rejected batch"
assert_eq "$(pg_last_run t | cut -d' ' -f4)" failed "run of t recorded as failed"
assert_eq "$(pg_sql -c 'SELECT count(*) FROM analytics.u')" 10 "next table synced after the failure"
echo "ok"
