#!/usr/bin/env bash
# PostgreSQL change data capture into PostgreSQL with column rules: the initial copy and every
# captured change (insert, update, delete, a key change, an update of a left-out column only)
# carry only the kept columns, hashed ones as their HMAC, under their destination names, into
# the renamed table (raw landing documents too); a column added to the source is followed
# unless columns: lists the kept ones; dropping a left-out column changes nothing downstream,
# while streaming and while stopped with its rule gone (older changes still carrying it never
# make it land); arus verify agrees at the end.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"
source "$(dirname "$0")/verify_lib.sh"

# Slots pin their database: drop them before pg_lib's DROP DATABASE (cleanups run last first),
# and idle leftovers of a killed earlier run first.
on_exit "pg_sql -c \"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '$PG_IT_DB'\""
pg_sql -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'arus_rules_p' AND NOT active" >/dev/null

pg_sql <<'SQL'
CREATE EXTENSION pgcrypto;
CREATE SCHEMA src;
CREATE TABLE src.rules_items (id int PRIMARY KEY, v text, secret text, email text, n int,
                              secret2 text);
INSERT INTO src.rules_items
SELECT i, 'v' || i, 's' || i, CASE WHEN i % 7 <> 0 THEN 'm' || i || '@x.org' END, i, 't' || i
FROM generate_series(1, 60) i;
CREATE TABLE src.rules_listed (id int PRIMARY KEY, a text, b text);
INSERT INTO src.rules_listed SELECT i, 'a' || i, 'b' || i FROM generate_series(1, 20) i;
SQL
export RULES_HASH_KEY=cdc-k3y
pg_write_config src '    sync_mode: cdc
    load_mode: raw+normalized
    batch_size: 16
    hash_key: ${RULES_HASH_KEY}
    tables:
      - {name: rules_items, exclude_columns: [secret, secret2], hash_columns: [email], rename: {table: rules_things, columns: {v: value}}}
      - {name: rules_listed, columns: [id, a]}'
sed -i 's/^  p:$/  rules_p:/' "$WORK/arus.yml"

columns() { # destination table: its columns
    pg_sql -c "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'analytics' AND table_name = '$1'"
}
# Rows of what the rules say the destination holds and of what it holds that differ.
differ() { # table-and-columns-of-source destination-table-and-columns
    pg_sql <<SQL
SELECT count(*) FROM ($1) s FULL JOIN ($2) d USING (id)
WHERE s.id IS NULL OR d.id IS NULL OR s.r IS DISTINCT FROM d.r
SQL
}
check_equal() { # what [extra column of rules_items]
    local x=${2:+, $2}
    assert_eq "$(differ "SELECT id, row(v, encode(hmac(email, '$RULES_HASH_KEY', 'sha256'), 'hex'), n$x) AS r FROM src.rules_items" \
        "SELECT id, row(value, email::text, n$x) AS r FROM analytics.rules_things")" 0 "rules_things rows differing $1"
    assert_eq "$(differ "SELECT id, a AS r FROM src.rules_listed" "SELECT id, a AS r FROM analytics.rules_listed")" 0 "rules_listed rows differing $1"
}

arus_ok -c "$WORK/arus.yml" sync rules_p
check_equal "after the initial copy"
assert_eq "$(columns rules_things)" "id,value,email,n,_arus_run_id,_arus_synced_at" "copied columns"
assert_eq "$(columns rules_listed)" "id,a,_arus_run_id,_arus_synced_at" "copied columns of the listed table"
assert_eq "$(columns rules_items)" "" "no table under the source's name"

pg_sql <<'SQL'
INSERT INTO src.rules_items VALUES (100, 'new', 'hidden', 'new@x.org', 1, 'h'), (101, 'new2', NULL, NULL, 2, NULL);
UPDATE src.rules_items SET v = 'upd', email = 'upd@x.org' WHERE id IN (1, 2, 3);
UPDATE src.rules_items SET secret = 'only the secret' WHERE id = 4;
DELETE FROM src.rules_items WHERE id IN (5, 6);
UPDATE src.rules_items SET id = 5000 WHERE id = 8;
UPDATE src.rules_listed SET b = 'only b' WHERE id = 1;
UPDATE src.rules_listed SET a = 'a-upd' WHERE id = 2;
DELETE FROM src.rules_listed WHERE id = 3;
SQL
arus_ok -c "$WORK/arus.yml" sync rules_p
check_equal "after inserts, updates, deletes and a key change"
assert_eq "$(pg_sql -c "SELECT email FROM analytics.rules_things WHERE id = 100")" \
    "$(printf 'new@x.org' | openssl dgst -sha256 -hmac "$RULES_HASH_KEY" -r | cut -d' ' -f1)" "captured insert hashed"
assert_eq "$(pg_sql -c "SELECT count(*) FROM analytics.rules_things WHERE id IN (5, 6, 8)")" 0 "deleted and moved keys gone"
# raw landing: the change documents hold the same columns, names and values
assert_eq "$(pg_sql -c "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'staging'")" \
    "pgsrc_rules_listed_raw,pgsrc_rules_things_raw" "raw tables"
assert_eq "$(pg_sql -c "SELECT string_agg(_data->>'_arus_op' || ':' || (_data->>'value') || ':' || (_data->>'email'), ',') FROM staging.pgsrc_rules_things_raw WHERE _data->>'id' = '100'")" \
    "i:new:$(printf 'new@x.org' | openssl dgst -sha256 -hmac "$RULES_HASH_KEY" -r | cut -d' ' -f1)" "raw change document"
assert_eq "$(pg_sql -c "SELECT count(*) FROM staging.pgsrc_rules_things_raw WHERE _data ?| ARRAY['v', 'secret', 'secret2']")" 0 "raw documents without left-out or source-named columns"

# A new column: followed on rules_items (exclude_columns), not on rules_listed (columns:).
pg_sql <<'SQL'
ALTER TABLE src.rules_items ADD COLUMN extra text;
ALTER TABLE src.rules_listed ADD COLUMN c text;
UPDATE src.rules_items SET extra = 'e' || id WHERE id <= 12;
UPDATE src.rules_listed SET c = 'c' || id, a = 'a2-' || id WHERE id <= 5;
SQL
arus_ok -c "$WORK/arus.yml" sync rules_p
check_equal "after a new column" extra
assert_eq "$(columns rules_things)" "id,value,email,n,_arus_run_id,_arus_synced_at,extra" "new column followed"
assert_eq "$(columns rules_listed)" "id,a,_arus_run_id,_arus_synced_at" "new column left out (columns: lists the kept ones)"

# Dropping the left-out column while a follower streams changes nothing downstream; changes
# keep flowing. The next start refuses the rule naming a column the table no longer has (a
# misspelt exclude_columns entry would let the column through): the rule goes, then it runs.
"$ARUS" -c "$WORK/arus.yml" sync rules_p --follow >/dev/null 2>"$WORK/follow.err" &
follower=$!
on_exit "kill -9 $follower"
for _ in $(seq 1 100); do # streaming: past its start, which reads the table's columns
    [ "$(pg_sql -c "SELECT active FROM pg_replication_slots WHERE slot_name = 'arus_rules_p'")" = t ] && break
    sleep 0.1
done
pg_sql -c "ALTER TABLE src.rules_items DROP COLUMN secret" -c "UPDATE src.rules_items SET n = n + 100 WHERE id <= 20; INSERT INTO src.rules_items (id, v) VALUES (102, 'after drop')"
for _ in $(seq 1 100); do
    [ "$(pg_sql -c "SELECT count(*) FROM analytics.rules_things WHERE id = 102")" = 1 ] && break
    sleep 0.1
done
kill -TERM "$follower"
wait "$follower" || fail "sync --follow exited $? after SIGTERM: $(cat "$WORK/follow.err")"
check_equal "after dropping a left-out column" extra
assert_eq "$(columns rules_things)" "id,value,email,n,_arus_run_id,_arus_synced_at,extra" "columns after the drop"
arus_fails 3 "a rule naming a dropped column" 'table "rules_items": exclude_columns: unknown column "secret"' -c "$WORK/arus.yml" sync rules_p
sed -i 's/exclude_columns: \[secret, secret2\]/exclude_columns: [secret2]/' "$WORK/arus.yml"
pg_sql -c "UPDATE src.rules_items SET v = 'after the rule went' WHERE id = 9"
arus_ok -c "$WORK/arus.yml" sync rules_p
check_equal "after the rule went" extra

# The other left-out column changes, then is dropped while nothing runs; its rule goes before
# the next start. The log still carries it in the changes before the drop: it is not added
# downstream (the table no longer has it), its values never move.
pg_sql -c "UPDATE src.rules_items SET secret2 = 'leak?', v = 'before the drop' WHERE id <= 30" -c "ALTER TABLE src.rules_items DROP COLUMN secret2"
arus_fails 3 "a rule naming a dropped column" 'table "rules_items": exclude_columns: unknown column "secret2"' -c "$WORK/arus.yml" sync rules_p
sed -i 's/exclude_columns: \[secret2\], //' "$WORK/arus.yml"
arus_ok -c "$WORK/arus.yml" sync rules_p
check_equal "after a left-out column dropped while stopped" extra
assert_eq "$(columns rules_things)" "id,value,email,n,_arus_run_id,_arus_synced_at,extra" "dropped left-out column not added from older changes"

# Nothing new: a run applies nothing; verify compares what the rules say.
arus_ok -c "$WORK/arus.yml" sync rules_p --json
assert_eq "$(jq -r '[.tables[].rows_extracted] | add' "$WORK/out")" 0 "changes applied by an idle run"
arus_ok -c "$WORK/arus.yml" verify rules_p --json
assert_eq "$(verify_tables)" "rules_items:equal:61 rules_listed:equal:19" "verify after capture"
arus_ok -c "$WORK/arus.yml" cdc drop rules_p
echo ok
