#!/usr/bin/env bash
# Nothing hangs: a TCP server (node) that accepts connections and never says a word stands in
# for a PostgreSQL, MySQL and MongoDB source and a ClickHouse destination with
# connect_timeout: 2. `arus check` must give up within a few seconds with exit 4 and one line
# that names the endpoint, for each connector on its own. Then a destination that answers but
# stalls inside a statement (a table lock held by another session): PostgreSQL's
# statement_timeout and MySQL's read_timeout end the run within seconds (exit 4).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fault_lib.sh"

node -e '
const net = require("net");
const held = [];
const srv = net.createServer((c) => { held.push(c); c.on("error", () => {}); });
srv.listen(0, "127.0.0.1", () => console.log(srv.address().port));
' >"$WORK/port" 2>"$WORK/node.err" &
on_exit "kill $!"
for _ in $(seq 50); do [ -s "$WORK/port" ] && break; sleep 0.1; done
PORT=$(cat "$WORK/port")
[ -n "$PORT" ] || fail "silent server did not start: $(cat "$WORK/node.err")"

# check_silent KIND TYPE NAME ENDPOINT_BODY: one endpoint against the silent server.
check_silent() {
    local kind=$1 type=$2 name=$3 body=$4
    printf '%s:\n  %s: {type: %s, %s, connect_timeout: 2}\n' "$kind" "$name" "$type" "$body" >"$WORK/arus.yml"
    chmod 600 "$WORK/arus.yml"
    local t0=$SECONDS rc=0
    timeout 30 "$ARUS" -c "$WORK/arus.yml" check >"$WORK/out" 2>"$WORK/err" || rc=$?
    local took=$((SECONDS - t0))
    assert_eq "$rc" 4 "$type check exit ($(cat "$WORK/out" "$WORK/err"))"
    [ "$took" -le 8 ] || fail "$type check took ${took}s with connect_timeout 2"
    assert_eq "$(wc -l <"$WORK/out")" 1 "$type check output lines"
    grep -q "$name.*\"$name\"" "$WORK/out" || fail "$type check line does not name the endpoint: $(cat "$WORK/out")"
    echo "pass $type: ${took}s: $(cat "$WORK/out")"
}

check_silent sources postgresql pg_silent "host: 127.0.0.1, port: $PORT, username: u, password: x, database: d"
check_silent sources mysql my_silent "host: 127.0.0.1, port: $PORT, username: u, password: x, database: d"
check_silent sources mongodb mongo_silent "url: \"mongodb://127.0.0.1:$PORT/d\""
if "$ARUS" connectors | grep -q '^destination *clickhouse '; then
    check_silent destinations clickhouse ch_silent "host: 127.0.0.1, port: $PORT, username: u, password: x"
fi

# stalled_sync DST WHAT: a sync (no retries) while the destination table is locked must fail
# within a few seconds, exit 4, with an error containing WHAT.
stalled_sync() {
    local t0=$SECONDS rc=0
    timeout 60 "$ARUS" -c "$WORK/arus.yml" sync "${PIPE}_$1" >"$WORK/out" 2>"$WORK/err" || rc=$?
    local took=$((SECONDS - t0))
    assert_eq "$rc" 4 "$1 stalled sync exit ($(cat "$WORK/err"))"
    [ "$took" -le 12 ] || fail "$1 stalled sync took ${took}s"
    grep -qi "$2" "$WORK/err" || fail "$1 stalled sync error: $(cat "$WORK/err")"
    echo "pass $1 stalled statement: ${took}s: $(tail -1 "$WORK/err")"
}

# wait_for ENGINE SQL: poll until the query prints 1 (30 s at most).
wait_for() {
    for _ in $(seq 300); do
        [ "$(fl_sql "$1" dst "$2" 2>/dev/null)" = 1 ] && return 0
        sleep 0.1
    done
    fail "timed out waiting for: $2"
}

fl_src_create sqlite 1000
round=0
for d in pg mysql; do
    opts="statement_timeout: 1"
    [ "$d" = mysql ] && opts="read_timeout: 2"
    fl_dst_reset "$d"
    FL_DST_OPTS=$opts fl_write_config sqlite "$d" "${PIPE}_$d" "max_retries: 0"
    arus_ok -c "$WORK/arus.yml" sync "${PIPE}_$d"
    round=$((round + 1))
    fl_src_change sqlite "$round" 1000
    if [ "$d" = pg ]; then
        pg_sql -c "BEGIN; LOCK TABLE analytics.items IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60)" >/dev/null 2>&1 &
        wait_for pg "SELECT count(*) FROM pg_locks WHERE relation = 'analytics.items'::regclass AND granted AND mode = 'AccessExclusiveLock'"
        stalled_sync pg "statement timeout"
        pg_sql -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()" >/dev/null
    else
        fl_my -D "$MY_AN" -e "LOCK TABLES items WRITE; SELECT SLEEP(60)" >/dev/null 2>&1 &
        wait_for mysql "SELECT count(*) FROM information_schema.processlist WHERE info = 'SELECT SLEEP(60)'"
        stalled_sync mysql "lost connection"
        fl_my -e "SELECT id FROM information_schema.processlist WHERE info = 'SELECT SLEEP(60)'" |
            while read -r id; do fl_my -e "KILL $id"; done
    fi
    wait $! 2>/dev/null || true
done
echo "ok"
