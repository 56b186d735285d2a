#!/usr/bin/env bash
# Binlog CDC start checks on a private MariaDB (started here on its own port, never the shared
# one): with the binlog on but Debian's defaults, each missing setting and grant is one line;
# a GTID whose binlogs were purged fails naming the fix (a new snapshot); with the binlog off,
# log_bin is reported.
source "$(dirname "$0")/lib.sh"
command -v mariadbd >/dev/null && command -v mariadb-install-db >/dev/null \
    || skip "no mariadbd/mariadb-install-db"
TOOL=${ARUS_BUILD_DIR:?}/my_binlog_tool
PORT=$((23306 + $$ % 1000))
DIR=$WORK/my
chmod 755 "$WORK"
mkdir -p "$DIR/data"
uopt=()
if [ "$(id -u)" = 0 ]; then uopt=(--user=mysql); chown -R mysql "$DIR"; fi
(cd / && mariadb-install-db --no-defaults --datadir="$DIR/data" "${uopt[@]}" \
    --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve) \
    >"$WORK/install.log" 2>&1 || fail "mariadb-install-db: $(tail -5 "$WORK/install.log")"

PID=""
start() { # extra mariadbd options...
    mariadbd --no-defaults --datadir="$DIR/data" "${uopt[@]}" --port="$PORT" \
        --bind-address=127.0.0.1 --socket="$DIR/sock" --pid-file="$DIR/pid" --skip-name-resolve \
        --innodb-buffer-pool-size=16M --log-error="$DIR/error.log" "$@" >>"$DIR/stdout.log" 2>&1 &
    PID=$!
    for _ in $(seq 1 100); do
        priv -e "SELECT 1" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    fail "private mariadbd did not start: $(tail -5 "$DIR/error.log")"
}
stop() { if [ -n "$PID" ]; then kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true; PID=""; fi; }
on_exit stop
priv() { mariadb --no-defaults --protocol=TCP -h 127.0.0.1 -P "$PORT" -u root --batch --skip-column-names "$@"; }
tool() { ARUS_MY_HOST=127.0.0.1 ARUS_MY_PORT=$PORT "$TOOL" "$@"; }
export ARUS_MY_HOST=127.0.0.1 ARUS_MY_PORT=$PORT

# Binlog on, Debian's defaults otherwise; a user with SELECT only.
start --log-bin="$DIR/data/binlog" --server-id=7
priv -e "CREATE USER lim@'%' IDENTIFIED BY 'lim'; GRANT SELECT ON *.* TO lim@'%'"
ARUS_MY_USER=lim ARUS_MY_PASSWORD=lim tool check >"$WORK/out" 2>"$WORK/err" && fail "check passed"
cat >"$WORK/want" <<'WANT'
server not ready for binlog CDC:
binlog_format is MIXED, needs ROW (SET GLOBAL binlog_format = ROW, and in the server config)
binlog_row_metadata is NO_LOG, needs FULL (SET GLOBAL binlog_row_metadata = FULL, and in the server config)
grant REPLICATION SLAVE is missing (GRANT REPLICATION SLAVE ON *.* TO the arus user)
grant BINLOG MONITOR is missing (GRANT BINLOG MONITOR ON *.* TO the arus user)
error: server not ready for binlog CDC (4 missing): binlog_format is MIXED, needs ROW (SET GLOBAL binlog_format = ROW, and in the server config); binlog_row_metadata is NO_LOG, needs FULL (SET GLOBAL binlog_row_metadata = FULL, and in the server config); grant REPLICATION SLAVE is missing (GRANT REPLICATION SLAVE ON *.* TO the arus user); grant BINLOG MONITOR is missing (GRANT BINLOG MONITOR ON *.* TO the arus user)
WANT
diff -u "$WORK/want" "$WORK/err" || fail "settings lines differ"
priv -e "SET GLOBAL binlog_format = ROW; SET GLOBAL binlog_row_metadata = FULL;
         GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO lim@'%'"
ARUS_MY_USER=lim ARUS_MY_PASSWORD=lim tool check >"$WORK/out" 2>"$WORK/err" \
    || fail "check after the fixes: $(cat "$WORK/err")"

# An idle stream gets heartbeats (followed, blocking, 1 s period): the insert, then a heartbeat.
priv -e "CREATE DATABASE h; CREATE TABLE h.t (id INT PRIMARY KEY)"
HB=$(priv -e "SELECT @@gtid_binlog_pos")
priv -e "INSERT INTO h.t VALUES (1)"
ARUS_MY_USER=lim ARUS_MY_PASSWORD=lim timeout 30 "$TOOL" heartbeat "$HB" >"$WORK/hb" 2>"$WORK/err" \
    || fail "heartbeat: $(cat "$WORK/err")"
grep -q '"kind":"insert".*"after":{"id":"1"}' "$WORK/hb" || fail "no insert before the heartbeat: $(cat "$WORK/hb")"
tail -1 "$WORK/hb" | grep -q '"kind":"heartbeat"' || fail "no heartbeat: $(cat "$WORK/hb")"

# Purged binlog: a GTID older than the oldest binlog left.
priv -e "CREATE DATABASE p; CREATE TABLE p.t (id INT PRIMARY KEY); INSERT INTO p.t VALUES (1)"
OLD=$(priv -e "SELECT @@gtid_binlog_pos")
priv -e "INSERT INTO p.t VALUES (2); FLUSH BINARY LOGS"
priv -e "PURGE BINARY LOGS TO '$(priv -e "SHOW MASTER STATUS" | cut -f1)'"
ARUS_MY_USER=root ARUS_MY_PASSWORD= tool peek "$OLD" >"$WORK/out" 2>"$WORK/err" && fail "peek of a purged GTID passed"
grep -q "error: binlog position $OLD is no longer on the server (its binlogs were purged): take a new snapshot" "$WORK/err" \
    || fail "purged message: $(cat "$WORK/err")"

# Binlog off.
stop
start
ARUS_MY_USER=root ARUS_MY_PASSWORD= tool check >"$WORK/out" 2>"$WORK/err" && fail "check passed without binlog"
grep -q "^log_bin is OFF, needs ON (start the server with log_bin" "$WORK/err" || fail "log_bin line: $(cat "$WORK/err")"
echo ok
