#!/usr/bin/env bash
# Choosing what moves, SQLite -> SQLite: columns / exclude_columns, hash_columns (HMAC-SHA256
# hex with hash_key from ${VAR}, same input same output), rename (table and columns), per-table
# load_mode, enabled: false, pipeline exclude: globs, and arus discover --pipeline showing what
# each rule selects. Bad input: an unknown column, an unset hash key variable, hash_columns
# without hash_key, columns together with exclude_columns, hashing the watermark column.
source "$(dirname "$0")/lib.sh"

SRC=$WORK/src.db
DST=$WORK/wh.db
sqlite_sql "$SRC" "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT, secret TEXT,
    updated_at TIMESTAMP);
  INSERT INTO users VALUES (1, 'a@x.org', 'Ann', 's1', '2024-01-01 00:00:00'),
    (2, 'b@x.org', 'Bob', 's2', '2024-01-01 00:00:01'), (3, NULL, 'Cid', 's3', '2024-01-01 00:00:02');
  CREATE TABLE orders (id INTEGER PRIMARY KEY, user_email TEXT, total REAL, updated_at TIMESTAMP);
  INSERT INTO orders VALUES (1, 'a@x.org', 1.5, '2024-01-01 00:00:00');
  CREATE TABLE tmp_scratch (id INTEGER PRIMARY KEY);
  CREATE TABLE logs (id INTEGER PRIMARY KEY, msg TEXT);"
cfg() { # extra YAML for table users, extra pipeline YAML
    sqlite_write_config "$SRC" "$DST" <<YML
    tables:
      - "*"
      - {name: users, $1}
      - {name: orders, columns: [id, user_email, updated_at], hash_columns: [user_email], load_mode: raw+normalized}
      - {name: logs, enabled: false}
    exclude: ["tmp_*"]
    $2
YML
}
GOOD_USERS='exclude_columns: [secret], hash_columns: [email], rename: {table: people, columns: {name: full_name}}'
cfg "$GOOD_USERS" 'hash_key: ${ARUS_CTL_HASH_KEY}'

# ---- bad input first
unset ARUS_CTL_HASH_KEY
arus_fails 3 "unset hash key variable" 'pipelines.p.hash_key: environment variable ARUS_CTL_HASH_KEY is not set' -c "$WORK/arus.yml" sync p
export ARUS_CTL_HASH_KEY=
arus_fails 3 "empty hash key" 'hash_key: must not be empty' -c "$WORK/arus.yml" sync p
export ARUS_CTL_HASH_KEY=k3y
cfg "$GOOD_USERS" ""
arus_fails 3 "hash_columns without hash_key" 'hash_columns needs hash_key' -c "$WORK/arus.yml" sync p
cfg "columns: [id, emial, updated_at]" 'hash_key: ${ARUS_CTL_HASH_KEY}'
arus_fails 3 "unknown column in columns" 'table "users": columns: unknown column "emial" (it has: id, email, name, secret, updated_at)' -c "$WORK/arus.yml" sync p --table users
arus_exit 3 "discover shows the bad rule" -c "$WORK/arus.yml" discover lite --pipeline p
grep -q 'main.users .*\[not synced: table "users": columns: unknown column "emial"' "$WORK/out" || fail "discover rule error: $(cat "$WORK/out")"
cfg "columns: [id, name], exclude_columns: [secret]" 'hash_key: ${ARUS_CTL_HASH_KEY}'
arus_fails 3 "columns with exclude_columns" 'exclude_columns: not allowed together with columns' -c "$WORK/arus.yml" sync p
cfg "exclude_columns: [id]" 'hash_key: ${ARUS_CTL_HASH_KEY}'
arus_fails 3 "primary key left out" 'column "id" is part of the primary key' -c "$WORK/arus.yml" sync p --table users
cfg "hash_columns: [updated_at]" 'hash_key: ${ARUS_CTL_HASH_KEY}'
arus_fails 3 "hashed watermark" 'hash_columns: "updated_at" is the watermark column' -c "$WORK/arus.yml" sync p --table users

# ---- the rules at work
cfg "$GOOD_USERS" 'hash_key: ${ARUS_CTL_HASH_KEY}'
arus_ok -c "$WORK/arus.yml" discover lite --pipeline p
grep -q 'main.users .*incremental on updated_at  -> people (normalized)$' "$WORK/out" || fail "discover users: $(cat "$WORK/out")"
grep -q '^    email .*\[hashed\]$' "$WORK/out" || fail "discover hashed: $(cat "$WORK/out")"
grep -q '^    name .*-> full_name$' "$WORK/out" || fail "discover renamed: $(cat "$WORK/out")"
grep -q '^    secret .*\[excluded\]$' "$WORK/out" || fail "discover excluded: $(cat "$WORK/out")"
grep -q 'main.tmp_scratch .*\[not synced: excluded by exclude: tmp_\*\]' "$WORK/out" || fail "discover exclude glob: $(cat "$WORK/out")"
grep -q 'main.logs .*\[not synced: disabled (enabled: false)\]' "$WORK/out" || fail "discover disabled: $(cat "$WORK/out")"
grep -q 'main.orders .*-> orders (raw+normalized)$' "$WORK/out" || fail "discover load_mode: $(cat "$WORK/out")"
arus_ok -c "$WORK/arus.yml" --json discover lite --pipeline p
assert_eq "$(jq -c '[.[] | select(.table == "users") | .columns[] | [.name, .rule, .destination_name]]' "$WORK/out")" \
  '[["id","kept","id"],["email","hashed","email"],["name","kept","full_name"],["secret","excluded",null],["updated_at","kept","updated_at"]]' "discover json"

arus_ok -c "$WORK/arus.yml" sync p
assert_eq "$(sqlite_sql "$DST" "SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'analytics%' ORDER BY name" | tr '\n' ' ')" \
  "analytics__orders analytics__people " "tables written"
want=$(printf 'a@x.org' | openssl dgst -sha256 -hmac k3y -r | cut -d' ' -f1)
assert_eq "$(sqlite_sql "$DST" "SELECT email FROM analytics__people WHERE id = 1")" "$want" "HMAC-SHA256 hex"
assert_eq "$(sqlite_sql "$DST" "SELECT user_email FROM analytics__orders WHERE id = 1")" "$want" "same input, same output (joins work)"
assert_eq "$(sqlite_sql "$DST" "SELECT count(*) FROM analytics__people WHERE email IS NULL")" 1 "NULL stays NULL"
assert_eq "$(sqlite_sql "$DST" "SELECT group_concat(name, ',') FROM pragma_table_info('analytics__people')")" \
  "id,email,full_name,updated_at,_arus_run_id,_arus_synced_at" "people columns"
assert_eq "$(sqlite_sql "$DST" "SELECT group_concat(name, ',') FROM pragma_table_info('analytics__orders')")" \
  "id,user_email,updated_at,_arus_run_id,_arus_synced_at" "orders columns"
grep -q "\"user_email\":\"$want\"" <<<"$(sqlite_sql "$DST" "SELECT _data FROM staging__lite_orders_raw")" || fail "raw row hashed"
# verify compares what the rules say the destination holds
arus_ok -c "$WORK/arus.yml" verify p --table users
# state and history keep the source's table name
arus_ok -c "$WORK/arus.yml" --json state p
assert_eq "$(jq -c '[.[].table]' "$WORK/out")" '["orders","users"]' "state names"
# a rerun changes nothing; an update arrives hashed
sqlite_sql "$SRC" "UPDATE users SET email = 'c@x.org', updated_at = '2024-01-02 00:00:00' WHERE id = 3"
arus_ok -c "$WORK/arus.yml" sync p --table users
grep -q '^users  *incremental  *extracted=1 loaded=1 ' "$WORK/out" || fail "update: $(cat "$WORK/out")"
assert_eq "$(sqlite_sql "$DST" "SELECT email FROM analytics__people WHERE id = 3")" \
  "$(printf 'c@x.org' | openssl dgst -sha256 -hmac k3y -r | cut -d' ' -f1)" "updated row hashed"
arus_exit 5 "disabled table" -c "$WORK/arus.yml" sync p --table logs
assert_eq "$(cat "$WORK/err")" 'arus: table "logs" is disabled (enabled: false) in pipeline "p"' "disabled message"
rc=0; arus -c "$WORK/arus.yml" sync p --table tmp_scratch || rc=$?
assert_eq "$(cat "$WORK/err")" 'arus: table "tmp_scratch" is excluded by exclude: tmp_* in pipeline "p"' "excluded message"
echo ok
