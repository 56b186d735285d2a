#!/usr/bin/env bash
# ClickHouse destination failures: wrong password (401), unknown database, server down, and a
# statement the server refuses mid-sync. Each is one clear line on stderr, a non-zero exit, no
# password in the output, and the stored watermark does not move.
source "$(dirname "$0")/lib.sh"

source "$(dirname "$0")/ch_lib.sh"
SRC=$WORK/src.db
export IT_CH_PORT=$ARUS_CH_HTTP_PORT IT_CH_DB=$ARUS_CH_DB IT_CH_PW=$ARUS_CH_PASSWORD
cat >"$WORK/arus.yml" <<YML
sources:
  lite:
    type: sqlite
    path: $SRC
destinations:
  ch:
    type: clickhouse
    host: $ARUS_CH_HOST
    port: \${IT_CH_PORT}
    username: $ARUS_CH_USER
    password: \${IT_CH_PW}
    database: \${IT_CH_DB}
    raw_schema: $RAW
    target_schema: $AN
    state_schema: $ST
    connect_timeout: 5
pipelines:
  p:
    source: lite
    destination: ch
    tables: ["*"]
    max_retries: 0
    schema_changes: freeze  # leaves the incompatible table below as it is (no widening)
YML
cfg=(-c "$WORK/arus.yml")
q() { ch_sql "$1 FORMAT TSV"; }
state() { q "SELECT watermark FROM $ST.watermarks FINAL WHERE pipeline = 'p' AND table_name = 't'"; }

sqlite_sql "$SRC" "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, updated_at TIMESTAMP);
  INSERT INTO t VALUES (1, 'a', '2024-01-01 00:00:00');"
arus_ok "${cfg[@]}" sync p
assert_eq "$(state)" "2024-01-01 00:00:00" "first watermark"
sqlite_sql "$SRC" "INSERT INTO t VALUES (2, 'b', '2024-02-01 00:00:00')"

# expect_fail EXIT PATTERN WHAT: the last arus run failed with EXIT, printed exactly one
# stderr line matching PATTERN and left the watermark alone.
expect_fail() {
    local rc=$1
    assert_eq "$rc" "$2" "$4: exit code"
    assert_eq "$(wc -l <"$WORK/err")" 1 "$4: stderr lines ($(cat "$WORK/err"))"
    grep -Eq "$3" "$WORK/err" || fail "$4: message: $(cat "$WORK/err")"
    assert_eq "$(state)" "2024-01-01 00:00:00" "$4: watermark untouched"
}

rc=0; IT_CH_PW=not-the-password arus "${cfg[@]}" sync p || rc=$?
expect_fail $rc 4 "^arus: connect to \"ch\" at $ARUS_CH_HOST:$ARUS_CH_HTTP_PORT: Code: 193, .*Wrong password" "wrong password"
! grep -q not-the-password "$WORK/err" "$WORK/out" || fail "password echoed: $(cat "$WORK/err")"

rc=0; IT_CH_DB="nodb_${IT_ID}" arus "${cfg[@]}" sync p || rc=$?
expect_fail $rc 4 "^arus: connect to \"ch\" at .*: Code: 81, .*Database nodb_${IT_ID} doesn't exist" "unknown database"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rc=0; IT_CH_PORT=$port arus "${cfg[@]}" sync p || rc=$?
expect_fail $rc 4 "^arus: connect to \"ch\" at $ARUS_CH_HOST:$port: .*(Couldn't connect|Connection refused)" "server down"

# A statement the server refuses after connecting: the typed table has an incompatible shape.
ch_sql "DROP TABLE $AN.t"
ch_sql "CREATE TABLE $AN.t (id Int64, v Date, updated_at String, _arus_run_id String, _arus_synced_at DateTime DEFAULT now(), _arus_version UInt64, _arus_deleted UInt8) ENGINE = ReplacingMergeTree(_arus_version) ORDER BY id"
# (with a row: an empty typed table under a stored watermark would be reloaded in full)
ch_sql "INSERT INTO $AN.t (id, v, updated_at, _arus_run_id, _arus_version, _arus_deleted) VALUES (1, '2024-01-01', '2024-01-01 00:00:00', '', 1, 0)"
rc=0; arus "${cfg[@]}" sync p || rc=$?
expect_fail $rc 5 "^arus: table \"t\": insert rows into \"$AN\".\"t\" on clickhouse \"ch\": Code: [0-9]+, e.displayText\(\) = " "refused insert"

# Port 9000 (native protocol) is turned into the HTTP port 8123 with a notice.
rc=0; IT_CH_PORT=9000 arus "${cfg[@]}" -v check || rc=$?
grep -q 'port 9000 is ClickHouse.s native protocol, using HTTP port 8123' "$WORK/err" \
  || fail "port 9000 notice: $(cat "$WORK/err")"
echo ok
