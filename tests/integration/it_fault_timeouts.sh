#!/usr/bin/env bash
# Nothing hangs: a TCP server (node) that accepts connections and never says a word stands in
# for a PostgreSQL, MySQL and MongoDB source and a ClickHouse destination with
# connect_timeout: 2. `arus check` must give up within a few seconds with exit 4 and one line
# that names the endpoint, for each connector on its own.
source "$(dirname "$0")/lib.sh"

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
echo "ok"
