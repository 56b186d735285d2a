#!/usr/bin/env bash
# PostgreSQL change data capture when the source server restarts mid-stream, on a private
# PostgreSQL instance this test starts on its own port (the shared server is never restarted):
# `arus sync --follow` logs a retry, reconnects to its slot and carries on; after SIGTERM and a
# last sync the destination equals the source. Then the instance runs with wal_level=replica
# and a sync fails in one line naming the setting.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"

PG_BIN=${ARUS_PG_BIN:-$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n1)}
[ -x "$PG_BIN/initdb" ] || fail "no initdb under $PG_BIN"
as_pg() { if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }
PRIV="$WORK/priv"
mkdir -p "$PRIV/data" "$PRIV/run"
chmod 755 "$WORK"
chmod 700 "$PRIV/data"
[ "$(id -u)" = 0 ] && chown -R postgres:postgres "$PRIV"
PORT=$((20000 + $$ % 20000))
while timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null; do PORT=$((PORT + 1)); done
as_pg "$PG_BIN/initdb" -D "$PRIV/data" -U postgres -A trust -E UTF8 --locale=C >"$WORK/initdb.log" 2>&1 ||
    fail "initdb: $(tail -3 "$WORK/initdb.log")"
priv_conf() { # wal_level
    as_pg tee "$PRIV/data/postgresql.auto.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$PRIV/run'
wal_level = $1
max_wal_senders = 4
max_replication_slots = 4
fsync = off
synchronous_commit = off
timezone = 'UTC'
EOF
}
priv_ctl() { as_pg "$PG_BIN/pg_ctl" -D "$PRIV/data" -l "$PRIV/log" -w -t 60 "$@" >/dev/null; }
priv_conf logical
priv_ctl start || fail "private PostgreSQL did not start: $(tail -5 "$PRIV/log")"
on_exit "as_pg $PG_BIN/pg_ctl -D $PRIV/data -m immediate -w stop"
priv_sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d postgres "$@"; }

priv_sql -c "CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL); INSERT INTO t SELECT i, 0 FROM generate_series(1, 500) i"
{
    echo "sources:"
    echo "  priv: {type: postgresql, host: 127.0.0.1, port: $PORT, username: postgres, database: postgres}"
    echo "destinations:"
    pg_endpoint pgdst postgresql
    echo "pipelines:"
    echo "  p: {source: priv, destination: pgdst, sync_mode: cdc, tables: [t], max_retries: 20, initial_backoff: 0.5s, max_backoff: 1s}"
} >"$WORK/arus.yml"
export ARUS_PG_PASSWORD
arus_ok -c "$WORK/arus.yml" sync p

"$ARUS" -c "$WORK/arus.yml" sync p --follow >"$WORK/follow.out" 2>"$WORK/follow.err" &
follower=$!
on_exit "kill -9 $follower"
(
    for i in $(seq 1 120); do
        priv_sql -c "UPDATE t SET v = v + 1 WHERE id = $((i % 500 + 1)); INSERT INTO t VALUES ($((1000 + i)), $i); DELETE FROM t WHERE id = $((i + 100))" 2>/dev/null || true
        sleep 0.05
    done
) &
writer=$!
sleep 2
priv_ctl -m fast restart || fail "restart: $(tail -5 "$PRIV/log")"
wait "$writer"
sleep 2
kill -TERM "$follower"
wait "$follower" || fail "sync --follow exited $? after the restart: $(cat "$WORK/follow.err")"
grep -q "retry 1 of 20" "$WORK/follow.err" || fail "no retry logged after the restart: $(cat "$WORK/follow.err")"
arus_ok -c "$WORK/arus.yml" sync p
assert_eq "$(pg_sql -c "SELECT id || ':' || v FROM analytics.t ORDER BY id" | md5sum)" \
    "$(priv_sql -c "SELECT id || ':' || v FROM t ORDER BY id" | md5sum)" "rows after the restart"

# wal_level=replica (the slot must go first, or the server refuses to start).
arus_ok -c "$WORK/arus.yml" cdc drop p
priv_ctl stop
priv_conf replica
priv_ctl start || fail "private PostgreSQL (replica) did not start: $(tail -5 "$PRIV/log")"
arus -c "$WORK/arus.yml" sync p && fail "sync with wal_level=replica succeeded"
assert_eq "$(wc -l <"$WORK/err")" 1 "lines of the wal_level error"
grep -q 'wal_level is "replica", change data capture needs wal_level = logical' "$WORK/err" ||
    fail "wal_level error: $(cat "$WORK/err")"
echo ok
