#!/usr/bin/env bash
# arus verify on a PostgreSQL -> PostgreSQL pipeline with all four kinds of column rules
# (exclude_columns, hash_columns, rename of the table and a column; columns on a second table):
# equal right after the sync; a tampered kept column and a tampered hashed column are reported
# changed (exit 8, -vv names the column by its destination name and its source name); --repair
# writes the HMAC back; a source change in a column the rules leave out is no difference; a
# renamed key verifies and works with delete_missing (which refuses a hashed key, exit 3); a
# hashed primary key is refused (exit 7).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
source "$(dirname "$0")/verify_lib.sh"

pg_sql <<'SQL'
CREATE SCHEMA src;
CREATE TABLE src.rules_users (id int PRIMARY KEY, email text, name text, secret text,
                              updated_at timestamptz NOT NULL);
INSERT INTO src.rules_users
SELECT i, CASE WHEN i % 10 <> 0 THEN 'u' || i || '@x.org' END, 'name ' || i, 's' || i,
       timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second'
FROM generate_series(1, 300) i;
CREATE TABLE src.rules_orders (id int PRIMARY KEY, total numeric(10,2), note text,
                               updated_at timestamptz NOT NULL);
INSERT INTO src.rules_orders
SELECT i, i * 1.5, 'note ' || i, timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second'
FROM generate_series(1, 100) i;
CREATE TABLE src.rules_keys (email text PRIMARY KEY, v text);
INSERT INTO src.rules_keys VALUES ('a@x.org', 'a');
CREATE TABLE src.rules_dm (id int PRIMARY KEY, v text, updated_at timestamptz NOT NULL);
INSERT INTO src.rules_dm SELECT i, 'd' || i, '2024-01-01' FROM generate_series(1, 30) i;
SQL
export RULES_HASH_KEY=rules-k3y
pg_write_config src '    batch_size: 64
    hash_key: ${RULES_HASH_KEY}
    tables:
      - {name: rules_users, exclude_columns: [secret], hash_columns: [email], rename: {table: rules_people, columns: {name: full_name}}}
      - {name: rules_orders, columns: [id, total, updated_at]}'
hmac() { printf '%s' "$1" | openssl dgst -sha256 -hmac "$RULES_HASH_KEY" -r | cut -d' ' -f1; }

arus_ok -c "$WORK/arus.yml" sync p
assert_eq "$(pg_sql -c "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'analytics' AND table_name = 'rules_people'")" \
    "id,email,full_name,updated_at,_arus_run_id,_arus_synced_at" "destination columns"

arus_ok -c "$WORK/arus.yml" verify p --json
assert_eq "$(verify_tables)" "rules_orders:equal:100 rules_users:equal:300" "equal after the sync"

# Tamper downstream: a kept (renamed) column, a hashed column, a row of the columns: table.
pg_sql <<'SQL'
UPDATE analytics.rules_people SET full_name = 'tampered' WHERE id = 3;
UPDATE analytics.rules_people SET email = 'tampered' WHERE id = 5;
UPDATE analytics.rules_people SET email = NULL WHERE id = 6;
UPDATE analytics.rules_orders SET total = 0 WHERE id = 2;
SQL
arus_exit 8 "verify on tampered rows" -c "$WORK/arus.yml" verify p --json
assert_eq "$(verify_drift rules_users)" "0 0 3   3;5;6" "users: tampered kept and hashed columns"
assert_eq "$(verify_drift rules_orders)" "0 0 1   2" "orders: tampered kept column"
arus_exit 8 "verify -vv" -c "$WORK/arus.yml" -vv verify p --table rules_users
grep -q 'table "rules_users" key \[3\] column "full_name" (source "name"): source "name 3", destination "tampered"' "$WORK/err" ||
    fail "renamed column in -vv: $(grep 'key \[3\]' "$WORK/err")"
grep -q "table \"rules_users\" key \[5\] column \"email\": source \"$(hmac u5@x.org)\", destination \"tampered\"" "$WORK/err" ||
    fail "hashed column in -vv: $(grep 'key \[5\]' "$WORK/err")"

arus_exit 8 "verify --repair" -c "$WORK/arus.yml" verify p --repair
assert_eq "$(pg_sql -c "SELECT email FROM analytics.rules_people WHERE id = 5")" "$(hmac u5@x.org)" "hashed value repaired"
assert_eq "$(pg_sql -c "SELECT full_name FROM analytics.rules_people WHERE id = 3")" "name 3" "renamed column repaired"
assert_eq "$(pg_sql -c "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'analytics' AND column_name IN ('secret', 'note', 'name')")" 0 "repair adds no left-out column"
arus_ok -c "$WORK/arus.yml" verify p

# Source changes only in columns the rules leave out: still equal.
pg_sql -c "UPDATE src.rules_users SET secret = 'changed' WHERE id <= 50; UPDATE src.rules_orders SET note = 'changed'"
arus_ok -c "$WORK/arus.yml" verify p --json
assert_eq "$(jq -r '.drift' "$WORK/out")" false "a change in left-out columns only"
# ... and one in a hashed column is a difference.
pg_sql -c "UPDATE src.rules_users SET email = 'new@x.org' WHERE id = 7"
arus_exit 8 "source change in a hashed column" -c "$WORK/arus.yml" verify p --json
assert_eq "$(verify_drift rules_users)" "0 0 1   7" "hashed source change"

# A hashed primary key: the destination's key order is not the source's.
cat >>"$WORK/arus.yml" <<'YML'
  k:
    source: pgsrc
    destination: pgdst
    hash_key: ${RULES_HASH_KEY}
    tables: [{name: rules_keys, hash_columns: [email]}]
YML
arus_ok -c "$WORK/arus.yml" sync k
arus_fails 7 "verify with a hashed key" 'table "rules_keys": verify cannot compare a table whose primary key column "email" is hashed' \
    -c "$WORK/arus.yml" verify k

# delete_missing compares keys the same way: a renamed key column is read back under its
# destination name; a hashed one is refused before anything moves (every destination key would
# look vanished).
cat >>"$WORK/arus.yml" <<'YML'
  dm:
    source: pgsrc
    destination: pgdst
    target_schema: dm
    hash_key: ${RULES_HASH_KEY}
    tables: [{name: rules_dm, delete_missing: true, rename: {table: rules_gone, columns: {id: dm_id}}}]
YML
arus_ok -c "$WORK/arus.yml" sync dm
pg_sql -c "DELETE FROM src.rules_dm WHERE id IN (3, 30)"
arus_ok -c "$WORK/arus.yml" sync dm
assert_eq "$(pg_sql -c "SELECT count(*) || ' ' || count(*) FILTER (WHERE dm_id IN (3, 30)) FROM dm.rules_gone")" "28 0" "delete_missing with a renamed key"
arus_ok -c "$WORK/arus.yml" verify dm
pg_sql -c "UPDATE dm.rules_gone SET v = 'x' WHERE dm_id = 4"
arus_exit 8 "verify with a renamed key" -c "$WORK/arus.yml" verify dm --json
assert_eq "$(verify_drift rules_dm)" "0 0 1   4" "renamed key: the changed row"
sed -i 's/tables: \[{name: rules_keys, hash_columns: \[email\]}\]/tables: [{name: rules_keys, hash_columns: [email], delete_missing: true}]/' "$WORK/arus.yml"
arus_fails 3 "delete_missing with a hashed key" 'delete_missing cannot compare keys when primary key column "email" is hashed' -c "$WORK/arus.yml" sync k
assert_eq "$(pg_sql -c "SELECT count(*) FROM analytics.rules_keys")" 1 "hashed-key rows kept"
echo ok
