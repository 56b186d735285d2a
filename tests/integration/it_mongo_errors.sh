#!/usr/bin/env bash
# MongoDB source failures: an unreachable host, a malformed URI, a missing database, a bad
# option and a missing collection each give one clear line and a non-zero exit (the documented
# code); the password in a URI never shows up in the output.
source "$(dirname "$0")/lib.sh"
need_mongo
"$ARUS" connectors | grep -q "^source *mongodb " || skip "mongodb source not built"

# config SOURCE_BODY: $WORK/arus.yml with source "mongo" and a SQLite destination
config() {
    cat > "$WORK/arus.yml" <<EOF
sources:
  mongo:
    type: mongodb
$1
destinations:
  wh:
    type: sqlite
    path: $WORK/wh.db
pipelines:
  p:
    source: mongo
    destination: wh
    tables: [nosuch]
EOF
}

# expect RC CODE WHAT PATTERN: arus exited CODE with exactly one line matching PATTERN (on
# stderr; `check` reports per endpoint on stdout), and no password anywhere
expect() {
    assert_eq "$1" "$2" "$3: exit code ($(cat "$WORK/err" "$WORK/out"))"
    assert_eq "$(cat "$WORK/err" "$WORK/out" | grep -c -- "$4")" 1 \
        "$3: lines matching '$4' ($(cat "$WORK/err" "$WORK/out"))"
    if grep -q s3cretpw "$WORK/err" "$WORK/out"; then fail "$3: password leaked"; fi
}

# nothing listens on port 1; the URI carries a password that must not be printed
export MONGO_BAD_URL="mongodb://arus:s3cretpw@127.0.0.1:1/db?authSource=admin"
config '    url: ${MONGO_BAD_URL}
    connect_timeout: 2'
rc=0; arus -c "$WORK/arus.yml" check || rc=$?
expect "$rc" 4 "unreachable host (check)" 'connect to "mongo" at 127.0.0.1:1'
rc=0; arus -c "$WORK/arus.yml" discover mongo || rc=$?
expect "$rc" 4 "unreachable host (discover)" 'connect to "mongo" at 127.0.0.1:1'
assert_eq "$(wc -l < "$WORK/err")" 1 "discover: one line of error"

config '    url: "mongo://127.0.0.1:27018/db"'
rc=0; arus -c "$WORK/arus.yml" check || rc=$?
expect "$rc" 3 "malformed URI" 'url'

config '    host: 127.0.0.1
    port: 27018'
rc=0; arus -c "$WORK/arus.yml" check || rc=$?
expect "$rc" 3 "no database" 'database: missing'

PORT=${MONGO_TEST_URI##*:}
config "    host: 127.0.0.1
    port: ${PORT%/}
    database: ${IT_ID}
    sample_size: 0"
rc=0; arus -c "$WORK/arus.yml" check || rc=$?
expect "$rc" 3 "bad sample_size" 'sample_size'

sed -i '/sample_size/d' "$WORK/arus.yml"
arus_ok -c "$WORK/arus.yml" discover mongo # an empty database is not an error
rc=0; arus -c "$WORK/arus.yml" sync p || rc=$?
[ "$rc" -ne 0 ] || fail "sync of a missing collection succeeded"
grep -q 'nosuch' "$WORK/err" || fail "missing collection not named: $(cat "$WORK/err")"
echo "ok"
