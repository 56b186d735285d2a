#!/usr/bin/env bash
# Binlog CDC start checks on a private MariaDB (started here on its own port, never the shared
# one): with the binlog on but Debian's defaults, each missing setting and grant is one line;
# a GTID whose binlogs were purged fails naming the fix (a new snapshot); with the binlog off,
# log_bin is reported; a follower (my_binlog_tool, then arus sync --follow) resumes across a
# restart of that server without loss or repeats.
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
# arus sync of a sync_mode cdc pipeline fails before copying anything, in one line.
priv -e "CREATE DATABASE s; CREATE TABLE s.t (id INT PRIMARY KEY)"
cat >"$WORK/arus.yml" <<EOF
sources:
  s: {type: mariadb, host: 127.0.0.1, port: $PORT, username: lim, password: "\${LIMPW}", database: s}
destinations:
  lite: {type: sqlite, path: "$WORK/lite.db"}
pipelines:
  p: {source: s, destination: lite, sync_mode: cdc, tables: [t]}
EOF
export LIMPW=lim
arus -c "$WORK/arus.yml" sync p && fail "cdc sync passed without the settings"
assert_eq "$(grep -c . "$WORK/err")" 1 "lines of the failed cdc sync: $(cat "$WORK/err")"
grep -q '^arus: source "s": server not ready for binlog CDC (4 missing): binlog_format is MIXED' "$WORK/err" \
    || fail "cdc sync error: $(cat "$WORK/err")"
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
[[ "$(tail -1 "$WORK/hb")" == *'"kind":"heartbeat"'* ]] || fail "no heartbeat: $(cat "$WORK/hb")"
# With the server's heartbeats off, a read that waits at most 0.3 s still ends: the insert,
# then the idle mark (cdc_next honours its timeout).
ARUS_MY_USER=lim ARUS_MY_PASSWORD=lim timeout 30 "$TOOL" idle "$HB" >"$WORK/idle" 2>"$WORK/err" \
    || fail "idle: $(cat "$WORK/err")"
grep -q '"kind":"insert".*"after":{"id":"1"}' "$WORK/idle" || fail "no insert before the idle mark: $(cat "$WORK/idle")"
[[ "$(tail -1 "$WORK/idle")" == *'"kind":"heartbeat"'* ]] || fail "no idle mark: $(cat "$WORK/idle")"

# Server restarted mid-stream: a follower resuming after its last committed GTID sees every
# insert exactly once (50 before the restart, 50 after, in single-row and multi-row
# transactions).
CDC_OPTS=(--log-bin="$DIR/data/binlog" --server-id=7 --binlog-format=ROW --binlog-row-metadata=FULL)
priv -e "CREATE DATABASE r; CREATE TABLE r.t (id INT PRIMARY KEY, v VARCHAR(20))"
RG=$(priv -e "SELECT @@gtid_binlog_pos")
ARUS_MY_USER=lim ARUS_MY_PASSWORD=lim timeout 120 "$TOOL" follow "$RG" r 100 >"$WORK/follow" 2>"$WORK/follow.err" &
FOLLOW=$!
priv -e "INSERT INTO r.t VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e')"
for i in $(seq 6 50); do echo "INSERT INTO r.t VALUES ($i, 'x');"; done | priv
sleep 1
stop
start "${CDC_OPTS[@]}"
for i in $(seq 51 95); do echo "INSERT INTO r.t VALUES ($i, 'y');"; done | priv
priv -e "BEGIN; INSERT INTO r.t VALUES (96, 'z'), (97, 'z'); INSERT INTO r.t VALUES (98, 'z'), (99, 'z'), (100, 'z'); COMMIT"
wait "$FOLLOW" || fail "follow across the restart: $(cat "$WORK/follow.err")"
grep -q "^100 inserts, 100 distinct, [1-9][0-9]* reconnects" "$WORK/follow" \
    || fail "follow across the restart: $(cat "$WORK/follow" "$WORK/follow.err")"

# XA: the prepared half has no commit in the binlog, so the stream stops on it by name.
XG=$(priv -e "SELECT @@gtid_binlog_pos")
priv -e "XA START 'x1'; INSERT INTO r.t VALUES (1000, 'xa'); XA END 'x1'; XA PREPARE 'x1'; XA COMMIT 'x1'"
ARUS_MY_USER=lim ARUS_MY_PASSWORD=lim tool peek "$XG" >"$WORK/out" 2>"$WORK/err" && fail "XA passed"
grep -q "XA PREPARE is not supported by binlog CDC" "$WORK/err" || fail "XA: $(cat "$WORK/err")"

# Purged binlog: a GTID older than the oldest binlog left.
priv -e "CREATE DATABASE p; CREATE TABLE p.t (id INT PRIMARY KEY); INSERT INTO p.t VALUES (1)"
OLD=$(priv -e "SELECT @@gtid_binlog_pos")
# ... also for a cdc pipeline whose stored position is that GTID.
sed -i 's/database: s}/database: p}/' "$WORK/arus.yml"
arus_ok -c "$WORK/arus.yml" sync p
priv -e "INSERT INTO p.t VALUES (2); FLUSH BINARY LOGS"
# a binlog InnoDB has not checkpointed yet stays: retry until only the current one is left
for _ in $(seq 1 50); do
    CUR=$(priv -e "SHOW MASTER STATUS" | cut -f1)
    priv -e "PURGE BINARY LOGS TO '$CUR'" 2>/dev/null || true
    [ "$(priv -e "SHOW BINARY LOGS" | head -1 | cut -f1)" = "$CUR" ] && break
    sleep 0.2
done
ARUS_MY_USER=root ARUS_MY_PASSWORD= tool peek "$OLD" >"$WORK/out" 2>"$WORK/err" && fail "peek of a purged GTID $OLD passed: $(priv -e "SHOW BINARY LOGS; SELECT @@gtid_binlog_pos") $(head -3 "$WORK/out")"
grep -q "error: binlog position $OLD is no longer on the server (its binlogs were purged): take a new snapshot" "$WORK/err" \
    || fail "purged message: $(cat "$WORK/err")"
arus_ok -c "$WORK/arus.yml" cdc status p
grep -q "^arus: warning: the stored GTID $OLD is no longer in the server's binlogs" "$WORK/err" \
    || fail "cdc status of a purged GTID: $(cat "$WORK/out" "$WORK/err")"
arus -c "$WORK/arus.yml" sync p && fail "cdc sync from a purged GTID passed"
grep -q "binlog position $OLD is no longer on the server (its binlogs were purged): take a new snapshot" "$WORK/err" \
    || fail "cdc sync from a purged GTID: $(cat "$WORK/err")"

# The server restarted under `arus sync --follow`: the run logs a retry, resumes from its
# committed GTID and applies every row exactly once.
sed -i "s|^destinations:|destinations:\n  lite2: {type: sqlite, path: \"$WORK/lite2.db\"}|" "$WORK/arus.yml"
echo "  q: {source: s, destination: lite2, sync_mode: cdc, tables: [t]}" >>"$WORK/arus.yml"
arus_ok -c "$WORK/arus.yml" sync q
"$ARUS" -c "$WORK/arus.yml" sync q --follow >"$WORK/follow.out" 2>"$WORK/follow.err" &
FQ=$!
on_exit "kill -9 $FQ"
for i in $(seq 3 20); do echo "INSERT INTO p.t VALUES ($i);"; done | priv
sleep 1
stop
start "${CDC_OPTS[@]}"
for i in $(seq 21 40); do echo "INSERT INTO p.t VALUES ($i);"; done | priv
for _ in $(seq 1 150); do
    [ "$(sqlite_sql "$WORK/lite2.db" "SELECT count(*) FROM analytics__t" 2>/dev/null)" = 40 ] && break
    sleep 0.2
done
kill -TERM "$FQ"
wait "$FQ" || fail "sync --follow across a restart exited $?: $(cat "$WORK/follow.err")"
grep -q "retry 1 of" "$WORK/follow.err" || fail "no retry logged after the restart: $(cat "$WORK/follow.err")"
assert_eq "$(sqlite_sql "$WORK/lite2.db" "SELECT count(*) || ' ' || count(DISTINCT id) || ' ' || sum(id) FROM analytics__t")" "40 40 820" "rows after the restart"

# arus cdc status on MariaDB: the stored GTID, the server's, lag in transactions, active while a
# run streams the pipeline (the seconds and the binlog size vary: masked).
status_is() { # what, expected text
    arus_ok -c "$WORK/arus.yml" cdc status q
    assert_eq "$(sed -E 's/, [0-9]+ s$/, S s/; s/^(retained binlog) [0-9]+ bytes$/\1 N bytes/' "$WORK/out")" "$2" "cdc status $1"
}
Q0=$(priv -e "SELECT @@gtid_binlog_pos")
status_is "after a sync" "slot (none: MariaDB keeps no replication slot) (inactive), publication (none)
confirmed $Q0, current $Q0
lag 0 transactions, S s
retained binlog N bytes"
priv -e "CREATE DATABASE other; CREATE TABLE other.t (id INT PRIMARY KEY); INSERT INTO other.t VALUES (1)"
Q1=$(priv -e "SELECT @@gtid_binlog_pos")
status_is "3 transactions behind" "slot (none: MariaDB keeps no replication slot) (inactive), publication (none)
confirmed $Q0, current $Q1
lag 3 transactions, S s
retained binlog N bytes"
"$ARUS" -c "$WORK/arus.yml" sync q --follow >"$WORK/follow.out" 2>"$WORK/follow.err" &
FQ=$!
on_exit "kill -9 $FQ"
for _ in $(seq 1 100); do
    arus -c "$WORK/arus.yml" cdc status q
    grep -q "^lag 0 transactions" "$WORK/out" && grep -q "(active)" "$WORK/out" && break
    sleep 0.2
done
status_is "while following" "slot (none: MariaDB keeps no replication slot) (active), publication (none)
confirmed $Q1, current $Q1
lag 0 transactions, S s
retained binlog N bytes"
arus_ok -c "$WORK/arus.yml" --json cdc status q
assert_eq "$(jq -r '"\(.active) \(.lag_bytes) \(.lag_unit)"' "$WORK/out")" "true 0 transactions" "cdc status --json"
kill -TERM "$FQ"
wait "$FQ" || fail "sync --follow exited $?: $(cat "$WORK/follow.err")"

# Binlog off.
stop
start
ARUS_MY_USER=root ARUS_MY_PASSWORD= tool check >"$WORK/out" 2>"$WORK/err" && fail "check passed without binlog"
grep -q "^log_bin is OFF, needs ON (start the server with log_bin" "$WORK/err" || fail "log_bin line: $(cat "$WORK/err")"
echo ok
