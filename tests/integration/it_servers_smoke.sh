#!/usr/bin/env bash
# Smoke test for the test servers scripts/servers.sh and scripts/mongo-test-server.sh start:
# each of the four answers a real query as the test user (PostgreSQL 15, MariaDB 10.11,
# ClickHouse, the MongoDB wire-protocol server). Run by hand without servers it skips; under
# `make test` (ARUS_IT_REQUIRE_SERVERS=1) a missing server is a failure.
source "$(dirname "$0")/lib.sh"

down() {
    if [ "${ARUS_IT_REQUIRE_SERVERS:-0}" = 1 ]; then fail "$1 is not reachable"; fi
    skip "$1 not running (make test starts it)"
}

# ---- PostgreSQL
v=$(pg_sql -c "SELECT current_setting('server_version_num')::int / 10000" 2>"$WORK/pg.err") \
    || down "PostgreSQL at $ARUS_PG_HOST:$ARUS_PG_PORT ($(head -n1 "$WORK/pg.err"))"
assert_eq "$(pg_sql -c "SELECT 1")" 1 "PostgreSQL SELECT 1"
assert_eq "$v" 15 "PostgreSQL major version"

# ---- MariaDB
v=$(my_sql -e "SELECT VERSION()" 2>"$WORK/my.err") \
    || down "MariaDB at $ARUS_MY_HOST:$ARUS_MY_PORT ($(head -n1 "$WORK/my.err"))"
assert_eq "$(my_sql -e "SELECT 1")" 1 "MariaDB SELECT 1"
[[ $v == 10.11.* ]] || fail "MariaDB version: expected 10.11.*, got '$v'"
assert_eq "$(my_sql -e "SELECT @@local_infile")" 1 "MariaDB local_infile"

# ---- ClickHouse (HTTP, as the arus user)
v=$(ch_sql "SELECT version()" 2>"$WORK/ch.err") \
    || down "ClickHouse at $ARUS_CH_HOST:$ARUS_CH_HTTP_PORT ($(head -n1 "$WORK/ch.err"))"
[[ $v =~ ^[0-9]+\.[0-9]+ ]] || fail "ClickHouse version(): got '$v'"
assert_eq "$(ch_sql "SELECT count() FROM system.databases WHERE name = '$ARUS_CH_DB'")" 1 \
    "ClickHouse database $ARUS_CH_DB"

# ---- MongoDB wire protocol: a raw OP_MSG {ping: 1, $db: "admin"} over a socket, so no client
# library or npm package is needed; prints the reply's "ok" value.
mongo_ping() {
    node - "$1" "$2" <<'EOF'
const net = require('node:net');
const [host, port] = [process.argv[2], Number(process.argv[3])];
const cstr = (s) => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.alloc(1)]);
function bsonDoc(elems) { // elems: [type, name, valueBuffer]
    const body = Buffer.concat(elems.map(([t, n, v]) => Buffer.concat([Buffer.from([t]), cstr(n), v])));
    const len = Buffer.alloc(4); len.writeInt32LE(body.length + 5);
    return Buffer.concat([len, body, Buffer.alloc(1)]);
}
const i32 = (x) => { const b = Buffer.alloc(4); b.writeInt32LE(x); return b; };
const str = (s) => Buffer.concat([i32(Buffer.byteLength(s) + 1), cstr(s)]);
const doc = bsonDoc([[0x10, 'ping', i32(1)], [0x02, '$db', str('admin')]]);
const header = Buffer.alloc(16);
header.writeInt32LE(16 + 4 + 1 + doc.length, 0); header.writeInt32LE(1, 4);
header.writeInt32LE(0, 8); header.writeInt32LE(2013, 12); // OP_MSG
const msg = Buffer.concat([header, i32(0), Buffer.from([0]), doc]);
// Fixed-size BSON element bodies; strings, documents and arrays carry their own length.
const fixed = { 0x01: 8, 0x07: 12, 0x08: 1, 0x09: 8, 0x0a: 0, 0x10: 4, 0x11: 8, 0x12: 8, 0x13: 16 };
function okOf(d) {
    for (let p = 4; d[p] !== 0;) {
        const t = d[p], end = d.indexOf(0, p + 1), name = d.toString('utf8', p + 1, end);
        p = end + 1;
        if (name === 'ok') return t === 0x01 ? d.readDoubleLE(p) : t === 0x10 ? d.readInt32LE(p) : NaN;
        if (t in fixed) p += fixed[t];
        else if (t === 0x02) p += 4 + d.readInt32LE(p);
        else if (t === 0x03 || t === 0x04) p += d.readInt32LE(p);
        else throw new Error(`unexpected BSON type ${t} for "${name}"`);
    }
    return NaN;
}
const sock = net.connect(port, host, () => sock.write(msg));
let buf = Buffer.alloc(0);
sock.setTimeout(5000, () => { console.error('timeout'); process.exit(1); });
sock.on('error', (e) => { console.error(e.message); process.exit(1); });
sock.on('data', (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    if (buf.length < 4 || buf.length < buf.readInt32LE(0)) return;
    if (buf.readInt32LE(12) !== 2013 || buf.readInt32LE(8) !== 1) throw new Error('not an OP_MSG reply to us');
    console.log(okOf(buf.subarray(21)));
    sock.end();
});
EOF
}
[[ $MONGO_TEST_URI =~ ^mongodb://([^:/]+):([0-9]+)/ ]] || fail "MONGO_TEST_URI: '$MONGO_TEST_URI'"
v=$(mongo_ping "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" 2>"$WORK/mongo.err") \
    || down "MongoDB test server at ${BASH_REMATCH[1]}:${BASH_REMATCH[2]} ($(head -n1 "$WORK/mongo.err"))"
assert_eq "$v" 1 "MongoDB ping ok"

echo "servers smoke: PostgreSQL, MariaDB, ClickHouse and MongoDB all answer"
