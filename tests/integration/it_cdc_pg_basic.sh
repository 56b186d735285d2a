#!/usr/bin/env bash
# PostgreSQL change data capture into PostgreSQL (docs/cdc.md): the initial copy inside the
# slot's snapshot; inserts, updates, deletes, a key change, a TOASTed text left unchanged by
# updates, TRUNCATE, a long transaction (larger than batch_size) interleaved with short ones,
# hostile table and column names, a table without a primary key (REPLICA IDENTITY FULL and a
# configured key), a new column, raw landing with the operation and position of each change,
# sync --follow ended by SIGTERM (exit 0), arus cdc status/drop, and a missing REPLICATION
# attribute or table ownership each failing in one line.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pg_lib.sh"

# Replication slots are named per cluster: only this test uses the derived names arus_p and
# arus_r on the shared server (the other cdc tests name theirs after their process).
# Slots pin their database: drop them before pg_lib's DROP DATABASE (cleanups run last first).
on_exit "pg_sql -c \"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '$PG_IT_DB'\""
# A run of this test killed before its cleanup leaves arus_p/arus_r behind in a database that no
# longer exists: drop such idle leftovers first, or this run would stream from them.
pg_sql -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name IN ('arus_p', 'arus_r') AND NOT active" >/dev/null

pg_sql <<'SQL'
CREATE SCHEMA src;
CREATE TABLE src.items (id bigint PRIMARY KEY, v text, big text, n numeric(12,2), tags int[],
                        at timestamptz, ok boolean, raw bytea);
INSERT INTO src.items
SELECT i, 'v' || i, CASE WHEN i = 1 THEN (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 4000) g) END,
       i * 1.25, ARRAY[i, i + 1], timestamptz '2024-01-01 00:00:00+00' + i * interval '1 minute',
       i % 2 = 0, '\x00ff'::bytea
FROM generate_series(1, 200) i;
CREATE TABLE src."We;ird ""T" ("k ""1" int PRIMARY KEY, "va;l" text);
INSERT INTO src."We;ird ""T" SELECT i, 'x' || i FROM generate_series(1, 20) i;
CREATE TABLE src.nopk (id int NOT NULL, v text);
ALTER TABLE src.nopk REPLICA IDENTITY FULL;
INSERT INTO src.nopk SELECT i, 'n' || i FROM generate_series(1, 30) i;
SQL

pg_write_config src "    sync_mode: cdc
    batch_size: 50
    tables:
      - items
      - 'We;ird \"T'
      - {name: nopk, primary_key: id}"

# Rows of source and destination that differ, per table.
differ() { # table key columns-of-source columns-of-destination
    pg_sql <<SQL
SELECT count(*) FROM (SELECT $2 AS k, $3 AS r FROM src.$1) s
FULL JOIN (SELECT $2 AS k, $4 AS r FROM analytics.$1) d USING (k)
WHERE s.k IS NULL OR d.k IS NULL OR s.r IS DISTINCT FROM d.r
SQL
}
check_equal() { # what
    assert_eq "$(differ items id 'row(v, big, n, to_jsonb(tags), at, ok, raw)' 'row(v, big, n, tags, at, ok, raw)')" 0 "items differing $1"
    assert_eq "$(differ '"We;ird ""T"' '"k ""1"' '"va;l"' '"va;l"')" 0 "hostile table differing $1"
    assert_eq "$(differ nopk id v v)" 0 "nopk differing $1"
}

arus_ok -c "$WORK/arus.yml" sync p
check_equal "after the initial copy"
assert_eq "$(pg_sql -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'arus_p' AND database = '$PG_IT_DB'")" 1 "slot created"
pos0=$(pg_sql -c "SELECT watermark FROM arus_state.watermarks WHERE table_name = '_arus_cdc_position'")
[ -n "$pos0" ] || fail "no position stored after the copy"

# Inserts, updates (row 1 leaves its TOASTed text out of the log), deletes, a key change,
# changes of the hostile and the keyless table.
pg_sql <<'SQL'
INSERT INTO src.items (id, v, n) VALUES (1001, 'new', 1.5), (1002, 'new2', NULL);
UPDATE src.items SET v = 'upd', n = 99.99 WHERE id IN (1, 2, 3);
UPDATE src.items SET v = 'upd twice' WHERE id = 1;
DELETE FROM src.items WHERE id IN (4, 5);
UPDATE src.items SET id = 5000 WHERE id = 6;
INSERT INTO src.items (id, v) VALUES (4, 'back');
UPDATE src."We;ird ""T" SET "va;l" = 'changed' WHERE "k ""1" = 3;
DELETE FROM src."We;ird ""T" WHERE "k ""1" = 4;
UPDATE src.nopk SET v = 'n-upd' WHERE id = 7;
DELETE FROM src.nopk WHERE id = 8;
SQL
arus_ok -c "$WORK/arus.yml" sync p
check_equal "after inserts, updates and deletes"
assert_eq "$(pg_sql -c "SELECT length(big) FROM analytics.items WHERE id = 1")" 128000 "TOASTed text kept across updates"
pos1=$(pg_sql -c "SELECT watermark FROM arus_state.watermarks WHERE table_name = '_arus_cdc_position'")
assert_eq "$(pg_sql -c "SELECT '$pos1'::pg_lsn > '$pos0'::pg_lsn")" t "position advanced"

# Nothing new: a run applies nothing.
arus_ok -c "$WORK/arus.yml" sync p --json
assert_eq "$(jq -r '[.tables[].rows_extracted] | add' "$WORK/out")" 0 "changes applied by an idle run"

# A long transaction (300 rows, six times batch_size) while short ones commit meanwhile; then
# TRUNCATE and a new column.
pg_sql -c "BEGIN; INSERT INTO src.items (id, v) SELECT i, 'long' FROM generate_series(2001, 2150) i; SELECT pg_sleep(1.5); INSERT INTO src.items (id, v) SELECT i, 'long' FROM generate_series(2151, 2300) i; UPDATE src.items SET v = 'long-upd' WHERE id = 2001; COMMIT" >/dev/null &
long=$!
for i in $(seq 1 10); do
    pg_sql -c "INSERT INTO src.items (id, v) VALUES (3000 + $i, 'short'); UPDATE src.items SET n = $i WHERE id = 10"
    sleep 0.1
done
wait "$long"
pg_sql <<'SQL'
TRUNCATE src.nopk;
INSERT INTO src.nopk VALUES (1, 'after truncate');
ALTER TABLE src.items ADD COLUMN extra text;
UPDATE src.items SET extra = 'e' || id WHERE id <= 3;
SQL
arus_ok -c "$WORK/arus.yml" sync p
check_equal "after a long transaction, TRUNCATE and a new column"
assert_eq "$(differ items id extra extra)" 0 "new column differing"
assert_eq "$(pg_sql -c "SELECT length(big) FROM analytics.items WHERE id = 1")" 128000 "TOASTed text kept after the new column"

# --follow: changes arrive while it runs; SIGTERM commits and exits 0.
"$ARUS" -c "$WORK/arus.yml" sync p --follow >"$WORK/follow.out" 2>"$WORK/follow.err" &
follower=$!
on_exit "kill -9 $follower"
pg_sql -c "UPDATE src.items SET v = 'followed' WHERE id BETWEEN 20 AND 40; DELETE FROM src.items WHERE id = 41"
for _ in $(seq 1 100); do
    [ "$(pg_sql -c "SELECT count(*) FROM analytics.items WHERE v = 'followed'")" = 21 ] && break
    sleep 0.1
done
assert_eq "$(pg_sql -c "SELECT count(*) FROM analytics.items WHERE v = 'followed'")" 21 "changes applied while following"
pg_sql -c "INSERT INTO src.items (id, v) VALUES (4001, 'last')"
kill -TERM "$follower"
wait "$follower" || fail "sync --follow exited $? after SIGTERM: $(cat "$WORK/follow.err")"
# What committed after the last transaction the follower received comes with the next run.
arus_ok -c "$WORK/arus.yml" sync p
check_equal "after --follow"

# A table added to the pipeline later: added to the publication and copied, the others keep
# their position.
pg_sql -c "CREATE TABLE src.later (id int PRIMARY KEY, v text); INSERT INTO src.later SELECT i, 'l' || i FROM generate_series(1, 50) i"
sed -i "s/^      - items$/      - items\n      - later/" "$WORK/arus.yml"
arus_ok -c "$WORK/arus.yml" sync p
pg_sql -c "UPDATE src.later SET v = 'later-upd' WHERE id <= 10; DELETE FROM src.later WHERE id = 50; UPDATE src.items SET v = 'with later' WHERE id = 11"
arus_ok -c "$WORK/arus.yml" sync p
assert_eq "$(differ later id v v)" 0 "table added later differing"
check_equal "after adding a table"

# A publication and slot a DBA made (cdc.create: false): no snapshot, the copy overlaps the
# stream and converges; cdc status warns past warn_retained_bytes.
pg_sql -c "CREATE PUBLICATION dba_pub FOR TABLE src.later" -c "SELECT pg_create_logical_replication_slot('dba_slot_$$', 'pgoutput')" >/dev/null
cat >>"$WORK/arus.yml" <<EOF
  d:
    source: pgsrc
    destination: pgdst
    sync_mode: cdc
    target_schema: dba
    tables: [later]
    cdc: {slot: dba_slot_$$, publication: dba_pub, create: false, warn_retained_bytes: 1}
EOF
pg_sql -c "UPDATE src.later SET v = 'before copy' WHERE id = 20"
arus_ok -c "$WORK/arus.yml" sync d
pg_sql -c "UPDATE src.later SET v = 'after copy' WHERE id = 21; DELETE FROM src.later WHERE id = 22"
arus_ok -c "$WORK/arus.yml" sync d
assert_eq "$(pg_sql -c "SELECT count(*) FROM src.later s FULL JOIN dba.later d USING (id) WHERE s.id IS NULL OR d.id IS NULL OR s.v IS DISTINCT FROM d.v")" 0 "DBA-made slot: rows differing"
arus_ok -c "$WORK/arus.yml" cdc status d
grep -q "^arus: warning: slot \"dba_slot_$$\" retains [0-9]* bytes of WAL (more than cdc.warn_retained_bytes 1)" "$WORK/err" || fail "no retained-WAL warning: $(cat "$WORK/err")"
sed -i "s/publication: dba_pub, create: false/publication: nopub, create: false/" "$WORK/arus.yml"
arus -c "$WORK/arus.yml" sync d && fail "sync with a missing DBA publication succeeded"
assert_eq "$(cat "$WORK/err")" "arus: source \"pgsrc\": publication \"nopub\" does not exist for \"src\".\"later\" (cdc.create is false; see docs/cdc.md)" "missing DBA publication"
arus_ok -c "$WORK/arus.yml" cdc drop d

# A slot of the same name in another database is refused, neither used nor dropped.
PGDB=$ARUS_PG_DB pg_sql -c "SELECT pg_create_logical_replication_slot('cdc_other_$$', 'pgoutput')" >/dev/null
on_exit "PGDB=$ARUS_PG_DB pg_sql -c \"SELECT pg_drop_replication_slot('cdc_other_$$')\""
sed -i "s/publication: nopub, create: false/slot: cdc_other_$$, publication: dba_pub, create: true/; s/cdc: {slot: dba_slot_$$, slot:/cdc: {slot:/" "$WORK/arus.yml"
arus -c "$WORK/arus.yml" sync d && fail "sync with another database's slot succeeded"
assert_eq "$(cat "$WORK/err")" "arus: source \"pgsrc\": replication slot \"cdc_other_$$\" belongs to database \"$ARUS_PG_DB\" (slot names are per server: set cdc.slot)" "slot of another database"
assert_eq "$(PGDB=$ARUS_PG_DB pg_sql -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'cdc_other_$$'")" 1 "the other database's slot kept"

# Raw landing: one JSON document per change with its operation and position.
cat >>"$WORK/arus.yml" <<'EOF'
  r:
    source: pgsrc
    destination: pgdst
    sync_mode: cdc
    load_mode: raw
    raw_schema: rawcdc
    tables: [nopk]
EOF
arus_ok -c "$WORK/arus.yml" sync r
pg_sql -c "INSERT INTO src.nopk VALUES (2, 'a'); UPDATE src.nopk SET v = 'b' WHERE id = 2; DELETE FROM src.nopk WHERE id = 2"
arus_ok -c "$WORK/arus.yml" sync r
assert_eq "$(pg_sql -c "SELECT string_agg(_data->>'_arus_op' || ':' || coalesce(_data->>'v', '-'), ',' ORDER BY _arus_id) FROM rawcdc.pgsrc_nopk_raw WHERE _data ? '_arus_op'")" "i:a,u:b,d:b" "raw change documents (REPLICA IDENTITY FULL: deletes carry the old row)"
assert_eq "$(pg_sql -c "SELECT count(*) FROM rawcdc.pgsrc_nopk_raw WHERE (_data->>'_arus_position')::pg_lsn IS NULL AND _data ? '_arus_op'")" 0 "raw documents carry their position"

# arus cdc status / drop.
arus_ok -c "$WORK/arus.yml" --json cdc status p
assert_eq "$(jq -r '"\(.slot) \(.exists) \(.lag_bytes >= 0)"' "$WORK/out")" "arus_p true true" "cdc status"
arus_ok -c "$WORK/arus.yml" cdc drop p
arus_ok -c "$WORK/arus.yml" cdc drop r
assert_eq "$(pg_sql -c "SELECT count(*) FROM pg_replication_slots WHERE database = '$PG_IT_DB'")" 0 "slots after cdc drop"
assert_eq "$(pg_sql -c "SELECT count(*) FROM pg_publication WHERE pubname <> 'dba_pub'")" 0 "publications after cdc drop"

# A role without REPLICATION, and one that does not own the tables: one line each.
role="cdc_np_$$"
pg_sql -c "CREATE ROLE $role LOGIN PASSWORD 'pw'; GRANT USAGE ON SCHEMA src TO $role; GRANT SELECT ON ALL TABLES IN SCHEMA src TO $role; GRANT CREATE ON DATABASE \"$PG_IT_DB\" TO $role"
on_exit "PGDB=$ARUS_PG_DB pg_sql -c 'DROP OWNED BY $role CASCADE; DROP ROLE IF EXISTS $role'"
on_exit "pg_sql -c 'DROP OWNED BY $role CASCADE'"
sed -e "s/^  pgsrc: {type: postgresql, host: \([^,]*\), port: \([^,]*\), username: [^,]*, password: [^,]*,/  pgsrc: {type: postgresql, host: \1, port: \2, username: $role, password: \"\${CDC_NP_PASSWORD}\",/" \
    "$WORK/arus.yml" >"$WORK/np.yml"
grep -q "username: $role" "$WORK/np.yml" || fail "test setup: role not substituted"
export CDC_NP_PASSWORD=pw
arus -c "$WORK/np.yml" sync p && fail "sync without REPLICATION succeeded"
assert_eq "$(wc -l <"$WORK/err")" 1 "lines of the missing REPLICATION error"
grep -q "lacks the REPLICATION attribute" "$WORK/err" || fail "missing REPLICATION: $(cat "$WORK/err")"
pg_sql -c "ALTER ROLE $role REPLICATION"
arus -c "$WORK/np.yml" sync p && fail "sync without owning the tables succeeded"
assert_eq "$(wc -l <"$WORK/err")" 1 "lines of the ownership error"
grep -q 'create publication "arus_p": must be owner of table' "$WORK/err" || fail "not owner: $(cat "$WORK/err")"
echo "ok"
