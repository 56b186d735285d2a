#!/usr/bin/env bash
# MariaDB binlog change data capture into PostgreSQL with column rules: the initial copy and
# every captured change (insert, update, delete, a key change, an update of a left-out column
# only) carry only the kept columns, hashed ones as their HMAC, under their destination names,
# into the renamed table; a column added to the source is followed unless columns: lists the
# kept ones; DROP COLUMN of a left-out column is followed (while streaming, and while stopped
# with its rule gone: older changes still carrying it are decoded, the column never lands);
# arus verify agrees; a DROP COLUMN of a kept column still stops. What the destination must
# hold is computed in PostgreSQL (pgcrypto's hmac) from the source's rows.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/my_lib.sh"
source "$(dirname "$0")/pg_lib.sh"
source "$(dirname "$0")/verify_lib.sh"

mys "$MY_SRC" <<'SQL'
CREATE TABLE rules_items (id INT PRIMARY KEY, v VARCHAR(40), secret VARCHAR(40), email VARCHAR(60), n INT,
                          secret2 VARCHAR(40));
INSERT INTO rules_items
SELECT seq, CONCAT('v', seq), CONCAT('s', seq), IF(seq % 7 <> 0, CONCAT('m', seq, '@x.org'), NULL), seq,
       CONCAT('t', seq)
FROM seq_1_to_60;
CREATE TABLE rules_listed (id INT PRIMARY KEY, a VARCHAR(20), b VARCHAR(20));
INSERT INTO rules_listed SELECT seq, CONCAT('a', seq), CONCAT('b', seq) FROM seq_1_to_20;
SQL
pg_sql -c "CREATE EXTENSION pgcrypto"
export RULES_HASH_KEY=my-k3y
{
    echo "sources:"
    my_endpoint mysrc mariadb "$MY_SRC"
    echo "destinations:"
    pg_endpoint pgdst postgresql
    cat <<'YML'
pipelines:
  rules_my:
    source: mysrc
    destination: pgdst
    sync_mode: cdc
    batch_size: 16
    hash_key: ${RULES_HASH_KEY}
    tables:
      - {name: rules_items, exclude_columns: [secret, secret2], hash_columns: [email], rename: {table: rules_things, columns: {v: value}}}
      - {name: rules_listed, columns: [id, a]}
YML
} >"$WORK/arus.yml"

columns() { # destination table: its columns
    pg_sql -c "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'analytics' AND table_name = '$1'"
}
# The source's rows, copied into PostgreSQL: what the rules say the destination holds is
# computed there. EXTRA: the rules_items column added later (NULL before).
expect() { # EXTRA
    pg_sql -c "SET client_min_messages = warning; DROP TABLE IF EXISTS exp_items, exp_listed" \
        -c "CREATE TABLE exp_items (id int, v text, email text, n int, extra text); CREATE TABLE exp_listed (id int, a text)"
    mys "$MY_SRC" -e "SELECT id, v, email, n, $1 FROM rules_items" | pg_sql -c "\\copy exp_items FROM STDIN WITH (NULL 'NULL')"
    mys "$MY_SRC" -e "SELECT id, a FROM rules_listed" | pg_sql -c "\\copy exp_listed FROM STDIN WITH (NULL 'NULL')"
}
differ() { # source-side query, destination-side query (id and r)
    pg_sql <<SQL
SELECT count(*) FROM ($1) s FULL JOIN ($2) d USING (id)
WHERE s.id IS NULL OR d.id IS NULL OR s.r IS DISTINCT FROM d.r
SQL
}
check_equal() { # what [extra column of rules_items]
    expect "${2:-NULL}"
    local x=${2:+, $2::text}
    assert_eq "$(differ "SELECT id, row(v, encode(hmac(email, '$RULES_HASH_KEY', 'sha256'), 'hex'), n$x) AS r FROM exp_items" \
        "SELECT id, row(value::text, email::text, n$x) AS r FROM analytics.rules_things")" 0 "rules_things rows differing $1"
    assert_eq "$(differ "SELECT id, a AS r FROM exp_listed" "SELECT id, a::text AS r FROM analytics.rules_listed")" 0 "rules_listed rows differing $1"
}

arus_ok -c "$WORK/arus.yml" sync rules_my
check_equal "after the initial copy"
assert_eq "$(columns rules_things)" "id,value,email,n,_arus_run_id,_arus_synced_at" "copied columns"
assert_eq "$(columns rules_listed)" "id,a,_arus_run_id,_arus_synced_at" "copied columns of the listed table"

mys "$MY_SRC" <<'SQL'
INSERT INTO rules_items VALUES (100, 'new', 'hidden', 'new@x.org', 1, 'h'), (101, 'new2', NULL, NULL, 2, NULL);
UPDATE rules_items SET v = 'upd', email = 'upd@x.org' WHERE id IN (1, 2, 3);
UPDATE rules_items SET secret = 'only the secret' WHERE id = 4;
DELETE FROM rules_items WHERE id IN (5, 6);
UPDATE rules_items SET id = 5000 WHERE id = 8;
BEGIN;
UPDATE rules_listed SET b = 'only b' WHERE id = 1;
UPDATE rules_listed SET a = 'a-upd' WHERE id = 2;
DELETE FROM rules_listed WHERE id = 3;
COMMIT;
SQL
arus_ok -c "$WORK/arus.yml" sync rules_my
check_equal "after inserts, updates, deletes and a key change"
assert_eq "$(pg_sql -c "SELECT email FROM analytics.rules_things WHERE id = 100")" \
    "$(printf 'new@x.org' | openssl dgst -sha256 -hmac "$RULES_HASH_KEY" -r | cut -d' ' -f1)" "captured insert hashed"
assert_eq "$(pg_sql -c "SELECT count(*) FROM analytics.rules_things WHERE id IN (5, 6, 8)")" 0 "deleted and moved keys gone"

# A new column: followed on rules_items (exclude_columns), not on rules_listed (columns:).
mys "$MY_SRC" <<'SQL'
ALTER TABLE rules_items ADD COLUMN extra VARCHAR(20);
ALTER TABLE rules_listed ADD COLUMN c VARCHAR(20);
UPDATE rules_items SET extra = CONCAT('e', id) WHERE id <= 12;
UPDATE rules_listed SET c = CONCAT('c', id), a = CONCAT('a2-', id) WHERE id <= 5;
SQL
arus_ok -c "$WORK/arus.yml" sync rules_my
check_equal "after a new column" extra
assert_eq "$(columns rules_things)" "id,value,email,n,_arus_run_id,_arus_synced_at,extra" "new column followed"
assert_eq "$(columns rules_listed)" "id,a,_arus_run_id,_arus_synced_at" "new column left out (columns: lists the kept ones)"

# DROP COLUMN of a left-out column while a follower streams: followed (other DDL stops the
# stream), nothing changes downstream, changes keep flowing. The next start refuses the rule
# naming a column the table no longer has: the rule goes, then it runs.
"$ARUS" -c "$WORK/arus.yml" sync rules_my --follow >/dev/null 2>"$WORK/follow.err" &
follower=$!
on_exit "kill -9 $follower"
streaming() { # VALUE: v of row 60 set to VALUE has arrived downstream
    for _ in $(seq 1 100); do
        [ "$(pg_sql -c "SELECT value FROM analytics.rules_things WHERE id = 60")" = "$1" ] && return
        sleep 0.1
    done
    fail "v = $1 did not arrive: $(cat "$WORK/follow.err")"
}
mys "$MY_SRC" -e "UPDATE rules_items SET v = 'marker' WHERE id = 60"
streaming marker
mys "$MY_SRC" -e "UPDATE rules_items SET secret = 'pre-drop', v = 'pre-drop' WHERE id <= 10; ALTER TABLE rules_items DROP secret; UPDATE rules_items SET v = 'post-drop' WHERE id BETWEEN 11 AND 15; UPDATE rules_items SET v = 'marker2' WHERE id = 60"
streaming marker2
kill -TERM "$follower"
wait "$follower" || fail "sync --follow exited $? after SIGTERM: $(cat "$WORK/follow.err")"
check_equal "after dropping a left-out column" extra
assert_eq "$(columns rules_things)" "id,value,email,n,_arus_run_id,_arus_synced_at,extra" "columns after the drop"
arus_fails 3 "a rule naming a dropped column" 'table "rules_items": exclude_columns: unknown column "secret"' -c "$WORK/arus.yml" sync rules_my
sed -i 's/exclude_columns: \[secret, secret2\]/exclude_columns: [secret2]/' "$WORK/arus.yml"
arus_ok -c "$WORK/arus.yml" sync rules_my

# The other left-out column changes, then is dropped while nothing runs; its rule goes before
# the next start. The binlog still carries it in the changes before the drop: they are decoded,
# the column is not added downstream (the table no longer has it), its values never move, and
# its DROP COLUMN is followed.
mys "$MY_SRC" -e "UPDATE rules_items SET secret2 = 'leak?', v = 'before the drop' WHERE id <= 30; ALTER TABLE \`rules_items\` DROP COLUMN IF EXISTS \`secret2\`; UPDATE rules_items SET v = 'after the drop' WHERE id = 31"
arus_fails 3 "a rule naming a dropped column" 'table "rules_items": exclude_columns: unknown column "secret2"' -c "$WORK/arus.yml" sync rules_my
sed -i 's/exclude_columns: \[secret2\], //' "$WORK/arus.yml"
arus_ok -c "$WORK/arus.yml" sync rules_my
check_equal "after a left-out column dropped while stopped" extra
assert_eq "$(columns rules_things)" "id,value,email,n,_arus_run_id,_arus_synced_at,extra" "dropped left-out column not added from older changes"

# Nothing new: a run applies nothing; verify compares what the rules say.
arus_ok -c "$WORK/arus.yml" sync rules_my --json
assert_eq "$(jq -r '[.tables[].rows_extracted] | add' "$WORK/out")" 0 "changes applied by an idle run"
arus_ok -c "$WORK/arus.yml" verify rules_my --json
assert_eq "$(verify_tables)" "rules_items:equal:60 rules_listed:equal:19" "verify after capture"

# A DROP COLUMN of a column that moves still stops the stream (take a new snapshot).
mys "$MY_SRC" -e "ALTER TABLE rules_items DROP COLUMN n"
arus_fails 7 "DROP COLUMN of a kept column" 'ALTER TABLE rules_items DROP COLUMN n (only ALTER TABLE ... ADD COLUMN is followed' -c "$WORK/arus.yml" sync rules_my
echo ok
