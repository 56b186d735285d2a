#!/usr/bin/env bash
# arus verify MongoDB -> SQLite: documents with differing fields (strings, doubles, Decimal128,
# nested documents and arrays as JSON, booleans, dates) verify equal after a sync; drift
# injected in the SQLite tables (a changed, a missing and an extra row, in the incremental
# orders and the full-refresh customers) exits 8 naming the _id keys; --repair clears it with
# the watermarks untouched; delete_missing removes documents deleted from the collection.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mongo_lib.sh"
source "$(dirname "$0")/verify_lib.sh"

DB="$WORK/wh.db"
DEST_YAML="    type: sqlite
    path: $DB"
dq() { sqlite_sql "$DB" "$1"; }

awk 'BEGIN {
    for (i = 1; i <= 300; i++)
        printf "{\"_id\": {\"$oid\": \"%024d\"}, \"n\": %d, \"name\": \"order %d\", \"price\": %d.5, " \
               "\"total\": {\"$numberDecimal\": \"1234567890.1%d\"}, \"tags\": [\"t\", %d], " \
               "\"addr\": {\"zip\": \"0%d\", \"city\": \"Oslo\"}, \"paid\": %s, " \
               "\"updated_at\": {\"$date\": \"2024-05-01T10:00:%02d.123Z\"}}\n",
               i, i, i, i, i % 10, i, i, (i % 2 ? "true" : "false"), i % 60
}' | mload insert orders || fail "seeding orders"
mload insert customers <<'JSON' || fail "seeding customers"
{"_id": {"$oid": "a00000000000000000000001"}, "name": "alice", "born": {"$date": "1960-03-04T05:06:07.890Z"}, "vip": true}
{"_id": {"$oid": "a00000000000000000000002"}, "name": "bob", "born": {"$date": "1999-12-31T23:59:59Z"}}
{"_id": {"$oid": "a00000000000000000000003"}, "name": "carol", "nick": "c"}
JSON
mongo_config
cfg=(-c "$WORK/arus.yml")

arus_ok "${cfg[@]}" sync p
wm() { dq "SELECT table_name || '=' || coalesce(watermark, '') FROM arus_state__watermarks ORDER BY 1" | tr '\n' ' '; }
wm_before=$(wm)
arus_ok "${cfg[@]}" verify p --json
assert_eq "$(verify_tables)" \
    "customers:equal:3 orders:equal:300" "verify right after the sync"

dq "UPDATE analytics__orders SET price = 0.25 WHERE _id = '000000000000000000000007';
    DELETE FROM analytics__orders WHERE _id IN ('000000000000000000000001', '000000000000000000000300');
    INSERT INTO analytics__orders (_id, n, _arus_run_id, _arus_synced_at) VALUES ('000000000000000000000150x', 1, 'x', 'x');
    UPDATE analytics__customers SET vip = 0 WHERE name = 'alice';
    DELETE FROM analytics__customers WHERE name = 'bob';
    INSERT INTO analytics__customers (_id, name, _arus_run_id, _arus_synced_at) VALUES ('a00000000000000000000004', 'dave', 'x', 'x');"
arus_exit 8 "verify on drift" "${cfg[@]}" verify p --json
assert_eq "$(verify_drift orders)" "2 1 1 000000000000000000000001;000000000000000000000300 000000000000000000000150x 000000000000000000000007" "orders drift"
assert_eq "$(verify_drift customers)" "1 1 1 a00000000000000000000002 a00000000000000000000004 a00000000000000000000001" "customers (full refresh) drift"

arus_exit 8 "verify --repair" "${cfg[@]}" verify p --repair
arus_ok "${cfg[@]}" verify p
assert_eq "$(wm)" "$wm_before" "watermarks untouched by --repair"
assert_eq "$(dq "SELECT price FROM analytics__orders WHERE _id = '000000000000000000000007'")" 7.5 "changed row repaired"

# delete_missing on every table: deleted documents vanish downstream after the next sync.
echo "    delete_missing: true" >>"$WORK/arus.yml"
mcmd '{"delete": "orders", "deletes": [{"q": {"n": {"$in": [5, 6]}}, "limit": 0}]}'
arus_ok "${cfg[@]}" sync p --table orders
assert_eq "$(dq "SELECT rows_deleted || ' ' || status FROM arus_state__runs WHERE table_name = 'orders' ORDER BY started_at DESC LIMIT 1")" \
    "2 ok" "rows deleted by delete_missing"
assert_eq "$(dq "SELECT count(*) FROM analytics__orders")" 298 "orders left"
arus_ok "${cfg[@]}" verify p
echo ok
