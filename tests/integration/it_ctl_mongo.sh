#!/usr/bin/env bash
# MongoDB config compatibility with the original Arus: `uri` is a synonym of `url` and `ssl` of
# `tls` (both spellings at once is an error naming the key), and credentials without an
# authentication database authenticate against admin (as pymongo does) unless the URI names one.
# And a field whose type widens between runs (int, then strings) widens the PostgreSQL column
# instead of failing the run.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mongo_lib.sh"
source "$(dirname "$0")/pg_lib.sh"

mload insert items <<'JSON' || fail "seeding items"
{"n": 1, "name": "a", "updated_at": {"$date": "2024-05-01T10:00:00Z"}}
{"n": 2, "name": "b", "updated_at": {"$date": "2024-05-01T10:00:01Z"}}
JSON
export ARUS_CTL_PW=secret
cat >"$WORK/arus.yml" <<YML
sources:
  m: {type: mongodb, uri: "\${MONGO_URL}", ssl: false}
  creds: {type: mongodb, host: 127.0.0.1, port: 27018, username: u, password: "\${ARUS_CTL_PW}", database: $MDB}
  named: {type: mongodb, uri: "mongodb://u:\${ARUS_CTL_PW}@127.0.0.1:27018/?authSource=other", database: $MDB}
destinations:
  wh: {type: sqlite, path: $WORK/wh.db}
$(pg_endpoint pg postgresql)
pipelines:
  p: {source: m, destination: wh, tables: [items]}
  topg: {source: m, destination: pg, tables: [codes]}
YML
arus_ok -c "$WORK/arus.yml" sync p
assert_eq "$(sqlite_sql "$WORK/wh.db" "SELECT count(*) FROM analytics__items")" 2 "synced through uri"
# The effective authentication database, as the debug log reports it (the test server does not
# check credentials the way a real one does, so only the choice is asserted).
arus -c "$WORK/arus.yml" -vv check || true
grep -q 'connecting to mongodb://127.0.0.1:27018/, authenticating against admin' "$WORK/err" ||
    fail "default auth source: $(grep connecting "$WORK/err")"
grep -q 'authSource=other, authenticating against other' "$WORK/err" ||
    fail "auth source from the uri: $(grep connecting "$WORK/err")"
grep -q 'secret' "$WORK/err" && fail "password in the log"

# type widening: code is an int in every document, then a string arrives
echo '{"n": 1, "code": 5, "updated_at": {"$date": "2024-05-01T10:00:00Z"}}' | mload insert codes || fail "seed codes"
arus_ok -c "$WORK/arus.yml" sync topg
assert_eq "$(pg_sql -c "SELECT data_type FROM information_schema.columns WHERE table_name = 'codes' AND column_name = 'code'")" "bigint" "code starts as an integer"
echo '{"n": 2, "code": "c2", "updated_at": {"$date": "2024-05-01T10:00:01Z"}}' | mload insert codes || fail "insert c2"
arus_ok -c "$WORK/arus.yml" sync topg
assert_eq "$(pg_sql -c "SELECT data_type FROM information_schema.columns WHERE table_name = 'codes' AND column_name = 'code'")" "text" "code widened to text"
assert_eq "$(pg_sql -c "SELECT string_agg(code, ',' ORDER BY n) FROM analytics.codes")" "5,c2" "both codes loaded"
assert_eq "$(pg_sql -c "SELECT error FROM arus_state.runs WHERE pipeline = 'topg' ORDER BY started_at DESC LIMIT 1")" \
  'widened column "code" from int64 to string' "widening in run history"

bad() { # YAML of source m -> expected message
    cat >"$WORK/bad.yml" <<YML
sources:
  m: $1
destinations:
  wh: {type: sqlite, path: $WORK/wh.db}
pipelines:
  p: {source: m, destination: wh, tables: [items]}
YML
    local rc=0
    arus -c "$WORK/bad.yml" check || rc=$?
    assert_eq "$rc" 3 "config error for $1"
    grep -qF "bad.yml:2: $2" "$WORK/out" || fail "message for $1: $(cat "$WORK/out" "$WORK/err")"
}
bad "{type: mongodb, uri: \"$MONGO_URL\", url: \"$MONGO_URL\"}" "uri: is a synonym of url: set only one of them"
bad "{type: mongodb, url: \"$MONGO_URL\", tls: false, ssl: false}" "ssl: is a synonym of tls: set only one of them"
bad "{type: mongodb, uri: \"$MONGO_URL\", host: x}" "host: not allowed together with uri"
bad "{type: mongodb, uri: \"$MONGO_URL\", ssl: maybe}" "ssl: expected"
echo ok
