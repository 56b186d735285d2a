# Shared by it_mongo_*.sh (sourced after lib.sh): a private MongoDB database filled through
# mongo_load (libmongoc; built with -DARUS_WITH_MONGODB=ON), and the MongoDB source scenario
# run against one destination. The caller defines:
#   DEST_YAML        the destination endpoint's YAML body (indented 4 spaces)
#   T_ORDERS T_CUST  the typed tables' names as SQL, T_RAW the raw table of orders
#   dq SQL           run SQL in the destination, print rows as text (one column per line)
#   dts COL          SQL giving a TIMESTAMPTZ column as "YYYY-MM-DD HH:MM:SS[.fff]" in UTC
#   djson COL KEY    SQL giving the text of a top-level key of a JSON column
#   dnum COL         optional: SQL giving a DECIMAL column with the source's 2 decimals
#   PIPE             optional pipeline name (default p), unique where state is shared
#
# The test server (CongoDB) narrows int64 values below 2^53 and whole doubles to int32 on
# the way back, so the data here has no int64 and no whole doubles; those types are covered
# by tests/unit/mongodb/test_mongo_bson.c. Its update command also rewrites Decimal128 and binary
# values of the updated document into plain objects, so "updates" here replace the document
# (delete + insert with the same _id) instead.

"$ARUS" connectors | grep -q "^source *mongodb " || skip "mongodb source not built"
MONGO_LOAD="${ARUS_BUILD_DIR:-}/mongo_load"
[ -x "$MONGO_LOAD" ] || fail "mongo_load not built (configure with -DARUS_WITH_MONGODB=ON)"
MDB="$IT_ID"
MONGO_URL="${MONGO_TEST_URI%/}/$MDB"
export MONGO_URL
mload() { "$MONGO_LOAD" "$MONGO_TEST_URI" "$MDB" "$@"; }
mcmd() { mload command "$1" >/dev/null || fail "mongo command failed: $1"; }
# mreplace N FIELDS: replace the order with n = N by {_id (kept), n: N, FIELDS}
mreplace() {
    local id
    id=$(mload command "{\"find\": \"orders\", \"filter\": {\"n\": $1}}" |
        grep -o '"\$oid" : "[0-9a-f]*"' | head -n 1 | grep -o '[0-9a-f]\{24\}') ||
        fail "order $1 not found"
    mcmd "{\"delete\": \"orders\", \"deletes\": [{\"q\": {\"n\": $1}, \"limit\": 1}]}"
    echo "{\"_id\": {\"\$oid\": \"$id\"}, \"n\": $1, $2}" | mload insert orders ||
        fail "re-insert order $1"
}

need_mongo
# need_dest NAME: skip when this build has no such destination connector (option off)
need_dest() {
    "$ARUS" connectors | grep -q "^destination *$1 " || skip "destination $1 not built"
}
on_exit "\"$MONGO_LOAD\" \"$MONGO_TEST_URI\" \"$MDB\" command '{\"dropDatabase\": 1}'"

# 5,000 orders sharing one updated_at (so every batch of 100 ties on the watermark), with
# fields that differ between documents: note only on odd n, code an int on multiples of 3 and
# a string otherwise (widened to text), deleted_at null or missing.
mongo_seed() {
    awk 'BEGIN {
        for (i = 1; i <= 5000; i++) {
            code = (i % 3 == 0) ? i : "\"c" i "\""
            note = (i % 2) ? ", \"note\": \"note " i "\"" : ""
            del = (i % 4 == 0) ? ", \"deleted_at\": null" : ""
            printf "{\"n\": %d, \"name\": \"order %d\", \"price\": %d.5, \"code\": %s, " \
                   "\"total\": {\"$numberDecimal\": \"12345678901234567890.12\"}, " \
                   "\"tags\": [\"t\", %d], \"addr\": {\"city\": \"Oslo\", \"zip\": \"0%d\"}, " \
                   "\"paid\": %s, \"updated_at\": {\"$date\": \"2024-05-01T10:00:00.123Z\"}%s%s}\n",
                   i, i, i, code, i, i, (i % 2 ? "true" : "false"), note, del
        }
    }' | mload insert orders || fail "seeding orders"
    mload insert customers <<'EOF' || fail "seeding customers"
{"name": "alice", "born": {"$date": "1960-03-04T05:06:07.890Z"}, "vip": true}
{"name": "bob", "born": {"$date": "1999-12-31T23:59:59Z"}}
{"name": "carol", "nick": "c"}
EOF
}

mongo_config() {
    cat > "$WORK/arus.yml" <<EOF
sources:
  mongo:
    type: mongodb
    url: \${MONGO_URL}
    sample_size: 100000
destinations:
  wh:
$DEST_YAML
pipelines:
  ${PIPE:-p}:
    source: mongo
    destination: wh
    tables: ["*"]
    batch_size: 100
    load_mode: raw+normalized
EOF
}

dnum() { echo "$1"; }

one() { # SQL -> the single value it returns
    dq "$1" | head -n 1
}

mongo_scenario() {
    mongo_seed
    mongo_config
    local cfg="$WORK/arus.yml"

    arus_ok -c "$cfg" check
    arus_ok -c "$cfg" discover mongo
    grep -q orders "$WORK/out" || fail "discover does not list orders: $(cat "$WORK/out")"
    grep -q customers "$WORK/out" || fail "discover does not list customers"
    grep -q updated_at "$WORK/out" || fail "discover shows no updated_at column"

    # run 1: all 5,000 tied rows arrive through batches of 100
    arus_ok -c "$cfg" sync "${PIPE:-p}"
    assert_eq "$(one "SELECT count(*) FROM $T_ORDERS")" 5000 "orders after run 1"
    assert_eq "$(one "SELECT count(*) FROM $T_RAW")" 5000 "raw orders after run 1"
    assert_eq "$(one "SELECT count(*) FROM $T_CUST")" 3 "customers (full refresh)"
    assert_eq "$(one "SELECT count(DISTINCT _id) FROM $T_ORDERS")" 5000 "distinct _id"
    assert_eq "$(one "SELECT length(_id) FROM $T_ORDERS WHERE n = 1")" 24 "ObjectId hex"
    assert_eq "$(one "SELECT name FROM $T_ORDERS WHERE n = 7")" "order 7" "string field"
    assert_eq "$(one "SELECT price FROM $T_ORDERS WHERE n = 7")" 7.5 "double field"
    assert_eq "$(one "SELECT $(dnum total) FROM $T_ORDERS WHERE n = 7")" 12345678901234567890.12 \
        "Decimal128 exact"
    assert_eq "$(one "SELECT code FROM $T_ORDERS WHERE n = 6")" 6 "int widened to text"
    assert_eq "$(one "SELECT code FROM $T_ORDERS WHERE n = 7")" c7 "string in widened column"
    assert_eq "$(one "SELECT note FROM $T_ORDERS WHERE n = 7")" "note 7" "field on some docs"
    assert_eq "$(one "SELECT count(*) FROM $T_ORDERS WHERE note IS NULL")" 2500 "missing field"
    assert_eq "$(one "SELECT $(djson addr city) FROM $T_ORDERS WHERE n = 7")" Oslo "nested doc"
    assert_eq "$(one "SELECT $(dts updated_at) FROM $T_ORDERS WHERE n = 7")" \
        "2024-05-01 10:00:00.123" "date -> timestamptz"
    assert_eq "$(one "SELECT $(dts born) FROM $T_CUST WHERE name = 'alice'")" \
        "1960-03-04 05:06:07.89" "date before 1970"
    assert_eq "$(one "SELECT count(*) FROM $T_ORDERS WHERE _arus_extra IS NOT NULL")" 0 \
        "no unmapped fields when the sample saw every document"

    # run 2: a soft delete, an update, and a document with a field never seen before
    local upd='"total": {"$numberDecimal": "1.10"}, "updated_at": {"$date": "2024-05-02T00:00:00Z"}'
    mreplace 5 "\"name\": \"order 5\", $upd, \"deleted_at\": {\"\$date\": \"2024-05-02T00:00:00Z\"}"
    mreplace 6 "\"name\": \"order six\", $upd"
    mload insert orders <<'EOF' || fail "insert new document"
{"n": 5001, "name": "late", "coupon": "SAVE10", "updated_at": {"$date": "2024-05-03T00:00:00Z"}}
EOF
    arus_ok -c "$cfg" sync "${PIPE:-p}"
    assert_eq "$(one "SELECT count(*) FROM $T_ORDERS")" 5000 "orders after delete + insert"
    assert_eq "$(one "SELECT count(*) FROM $T_ORDERS WHERE n = 5")" 0 "soft-deleted row removed"
    assert_eq "$(one "SELECT name FROM $T_ORDERS WHERE n = 6")" "order six" "updated row"
    assert_eq "$(one "SELECT $(dnum total) FROM $T_ORDERS WHERE n = 6")" 1.10 "updated Decimal128"
    assert_eq "$(one "SELECT coupon FROM $T_ORDERS WHERE n = 5001")" SAVE10 \
        "new field became a column"
    dq "SELECT _data FROM $T_RAW" > "$WORK/raw.txt"
    grep -q '"coupon": *"SAVE10"' "$WORK/raw.txt" || fail "new field missing from raw JSON"

    # run 3: nothing changed, nothing changes
    local before after
    before=$(dq "SELECT _id, n, name, note, code, coupon, price, total FROM $T_ORDERS ORDER BY _id")
    arus_ok -c "$cfg" sync "${PIPE:-p}"
    after=$(dq "SELECT _id, n, name, note, code, coupon, price, total FROM $T_ORDERS ORDER BY _id")
    [ "$before" == "$after" ] || fail "rerun changed the orders table"
    assert_eq "$(one "SELECT count(*) FROM $T_ORDERS")" 5000 "orders after idempotent rerun"
}
